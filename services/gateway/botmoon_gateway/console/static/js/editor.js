// A plain textarea with line numbers, problems marked in the gutter and a jump to line and column.
import { h } from "./dom.js";

const DRAFT = "botmoon.draft";

export function savedDraft() {
  return localStorage.getItem(DRAFT) || "";
}

/** `onChange()` runs when the user edits: marks of an earlier validation are dropped then. */
export function codeEditor({ id, label, value = "", onChange }) {
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", { id, class: "code", spellcheck: "false", autocapitalize: "off", autocomplete: "off",
    wrap: "off", "aria-label": label, "aria-describedby": `${id}-problems` });
  area.value = value;
  let marks = new Map();

  function drawGutter() {
    const lines = area.value.split("\n").length;
    const items = [];
    for (let n = 1; n <= lines; n += 1) {
      const mark = marks.get(n);
      items.push(mark ? h("span", { class: `mark-${mark}`, title: mark }, `${mark === "error" ? "✖" : "▲"} ${n}`) : String(n));
      items.push("\n");
    }
    gutter.replaceChildren(...items);
    gutter.scrollTop = area.scrollTop;
  }
  area.addEventListener("input", () => {
    localStorage.setItem(DRAFT, area.value);
    if (marks.size) marks = new Map();
    drawGutter();
    if (onChange) onChange();
  });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", (event) => {
    // Tab indents (four spaces); Escape then Tab leaves the editor, so keyboard users are never trapped.
    if (event.key === "Tab" && !event.shiftKey && !area.dataset.escaped) {
      event.preventDefault();
      area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    area.dataset.escaped = event.key === "Escape" ? "1" : "";
  });
  const el = h("div", { class: "editor" }, gutter, area);
  el.textarea = area;
  el.get = () => area.value;
  el.set = (text) => {
    area.value = text;
    localStorage.setItem(DRAFT, text);
    marks = new Map();
    drawGutter();
    if (onChange) onChange();
  };
  el.mark = (problems) => {
    marks = new Map();
    for (const p of problems) if (!marks.has(p.line) || p.kind === "error") marks.set(p.line, p.kind);
    drawGutter();
  };
  el.jump = (line, column) => {
    const lines = area.value.split("\n");
    let offset = 0;
    for (let n = 1; n < Math.min(line, lines.length); n += 1) offset += lines[n - 1].length + 1;
    offset += Math.max(0, (column || 1) - 1);
    area.focus();
    area.setSelectionRange(offset, Math.min(offset + 1, area.value.length));
    const lineHeight = 20;
    area.scrollTop = Math.max(0, (line - 5) * lineHeight);
  };
  drawGutter();
  return el;
}

/** The problems of a validation as a list of buttons that move the cursor to the problem. */
export function problemList(id, validation, editor) {
  const problems = [
    ...validation.errors.map((p) => ({ ...p, kind: "error" })),
    ...validation.warnings.map((p) => ({ ...p, kind: "warning" })),
  ].sort((a, b) => a.line - b.line || a.column - b.column);
  editor.mark(problems);
  if (!problems.length) return h("p", { id, class: "muted" }, "No problems found.");
  return h("ul", { id, class: "problems" }, problems.map((p) => h("li", {},
    h("button", { type: "button", class: `small ${p.kind}-item`, dataset: { line: p.line, column: p.column },
      onclick: () => editor.jump(p.line, p.column) },
    h("strong", {}, p.kind === "error" ? "Error" : "Warning"), ` line ${p.line}, column ${p.column} · ${p.rule}: `,
    p.message))));
}
