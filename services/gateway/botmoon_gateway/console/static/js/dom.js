// Small DOM and formatting helpers shared by the pages.

/** h("button", {class: "primary", onclick: fn}, "Run") builds an element; null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "checked") el.defaultChecked = el.checked = Boolean(value);  // defaults survive form.reset()
    else if (name === "selected") el.defaultSelected = el.selected = Boolean(value);
    else if (name === "value") {
      if (tag === "input") el.defaultValue = String(value);
      el.value = value;
    }
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form field: the label's `for` names the control's id. */
export function field(label, control, { wide = false, double = false, hint } = {}) {
  return h("div", { class: wide ? "field wide" : double ? "field double" : "field" },
    h("label", { for: control.id }, label), control, hint ? h("span", { class: "hint" }, hint) : null);
}

/** Milliseconds since the epoch from what the API sends: ISO 8601 (with or without a zone: UTC), or epoch ms. */
export function toMs(value) {
  if (value === null || value === undefined || value === "") return NaN;
  if (typeof value === "number") return value;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const iso = text.replace(" ", "T");
  return Date.parse(/([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

export function time(value) {
  const ms = toMs(value);
  if (Number.isNaN(ms)) return "—";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(":00Z", "Z");
}

export function ago(value) {
  const ms = toMs(value);
  if (Number.isNaN(ms)) return "—";
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

const formats = new Map();

export function num(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (typeof value !== "number") return String(value);
  if (!formats.has(digits)) {
    formats.set(digits, new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return formats.get(digits).format(value);
}

export function signClass(value) {
  return typeof value === "number" && value !== 0 ? (value > 0 ? "pos" : "neg") : "";
}

const STATUS_TONE = {
  completed: "good", delivered: "good", running: "good", clean: "good", deployed: "good",
  failed: "bad", error: "bad", timeout: "bad", killed: "bad", rejected: "bad", suspicious: "bad",
  live: "good", waiting: "info",
  stale_data: "warn", pending: "warn", retrying: "warn", stopped: "plain", disabled: "plain",
};

export function badge(text, tone, title) {
  return h("span", { class: `badge ${tone || STATUS_TONE[text] || "info"}`, title },
    String(text).replace(/_/g, " "));
}

/** A strategy's status, and while it runs what it is doing (live, waiting, stale_data) with the reason. */
export function strategyBadges(strategy) {
  const state = strategy.state && strategy.state !== strategy.status ? strategy.state : null;
  return [badge(strategy.status), state ? [" ", badge(state, null, strategy.state_reason || undefined)] : null,
    strategy.enabled === false ? [" ", badge("disabled")] : null];
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

export function card(label, value, cls = "") {
  return h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: `value ${cls}` }, value));
}

let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** Save text as a file through a temporary link. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A modal dialog from a form; resolves to the FormData on submit, null on cancel. */
export function formDialog(title, fields, { submit = "Save", danger = false, onOpen } = {}) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const error = h("p", { class: "error", hidden: true, role: "alert" });
    const form = h("form", { method: "dialog" }, h("h2", { id: titleId }, title), error, fields,
      h("div", { class: "actions" },
        h("button", { type: "button", value: "cancel", onclick: () => dialog.close("cancel") }, "Cancel"),
        h("button", { type: "submit", value: "ok", class: danger ? "danger" : "primary" }, submit)));
    const dialog = h("dialog", { "aria-labelledby": titleId }, form);
    let result = null;
    form.addEventListener("submit", () => { result = new FormData(form); });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "ok" ? result : null); });
    document.body.append(dialog);
    dialog.showModal();
    if (onOpen) onOpen(dialog);
  });
}
