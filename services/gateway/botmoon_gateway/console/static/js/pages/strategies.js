// Strategies: the list, start and stop, edit the configuration, and one strategy's recent signals.
import { api, query } from "../api.js";
import { ago, badge, clear, field, formDialog, h, json, strategyBadges, time } from "../dom.js";
import { attempt, notice } from "../notice.js";
import { dataTable } from "../table.js";

const REFRESH_MS = 5000;
const DEFAULT_SYMBOLS = "BTC/USDT:USDT";

export async function render(main, [id]) {
  return id ? renderOne(main, id) : renderList(main);
}

async function renderList(main) {
  const status = h("select", { id: "st-status" }, h("option", { value: "" }, "Any status"),
    ["running", "stopped", "error"].map((s) => h("option", { value: s }, s)));
  const table = dataTable({ caption: "Strategies", rows: [], sortable: true, empty: "No strategy yet: deploy code "
    + "that defines a strategy class (Code page).", rowAttrs: (r) => ({ dataset: { strategyId: r.id } }), columns: [
    { key: "name", label: "Name", render: (r) => h("a", { href: `#/strategies/${r.id}` }, r.name) },
    { key: "status", label: "Status", render: strategyBadges, value: (r) => `${r.status} ${r.state || ""}` },
    { key: "symbols", label: "Symbols", render: (r) => r.config.symbols.join(", ") || "—",
      value: (r) => r.config.symbols.join(",") },
    { key: "timeframe", label: "TF", render: (r) => r.config.timeframe, value: (r) => r.config.timeframe },
    { key: "runs", label: "Runs / signals / errors", num: true, value: (r) => r.counters.runs,
      render: (r) => `${r.counters.runs} / ${r.counters.signals} / ${r.counters.errors}` },
    { key: "last_run_at", label: "Last run", render: (r) => ago(r.last_run_at) },
    { key: "actions", label: "Actions", sortable: false, render: (r) => actions(r, () => load()) },
  ] });
  let stopped = false;
  let timer = null;
  // Refreshes leave the table alone while it has the keyboard focus, so the focus is never lost.
  async function load(auto = false) {
    clearTimeout(timer);
    if (!(auto && table.contains(document.activeElement))) {
      const reply = await attempt(() => api(`/api/strategies${query({ status: status.value })}`));
      if (reply && !stopped) table.update(reply.strategies);
    }
    if (!stopped) timer = setTimeout(() => load(true), REFRESH_MS);
  }
  status.addEventListener("change", () => load());
  main.append(h("h1", {}, "Strategies"),
    h("div", { class: "row spread" }, h("div", { class: "field" }, h("label", { for: "st-status" }, "Show"), status),
      h("p", { class: "hint" }, "Deploy code with a strategy class on the Code page to add one.")),
    table);
  await load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function actions(strategy, reload) {
  const running = strategy.status === "running";
  const act = (label, action, cls) => h("button", { type: "button", class: `small ${cls || ""}`,
    dataset: { action: label.toLowerCase() }, "aria-label": `${label} ${strategy.name}`, onclick: async (event) => {
      event.target.disabled = true;
      const ok = await attempt(action);
      if (ok) {
        notice(ok, true);
        await reload();
      } else event.target.disabled = false;
    } }, label);
  return h("div", { class: "row" },
    running ? act("Stop", () => stop(strategy), "danger") : act("Start", () => start(strategy)),
    act("Edit", () => edit(strategy)));
}

async function endpointChoices(selected) {
  const reply = await api("/api/webhooks/endpoints");
  if (!reply.endpoints.length) return h("p", { class: "hint" }, "No webhook endpoint yet (Webhooks page).");
  return h("fieldset", {}, h("legend", {}, "Send signals to"), reply.endpoints.map((e) => {
    const id = `ep-choice-${e.id}`;
    return h("label", { for: id }, h("input", { type: "checkbox", id, name: "endpoint", value: e.id,
      checked: selected.includes(e.id) }), ` ${e.name || e.url}`);
  }));
}

let timeframes = null;

async function liveFields(strategy) {
  const c = strategy.config;
  timeframes = timeframes || (await api("/api/backtest/symbols")).timeframes;
  const input = (name, value, attrs = {}) => h("input", { id: `cfg-${name}`, name, value, ...attrs });
  const current = c.timeframe || "1h";
  return [
    field("Symbols (comma-separated)", input("symbols", c.symbols.join(", ") || DEFAULT_SYMBOLS, { required: true })),
    field("Timeframe", h("select", { id: "cfg-timeframe", name: "timeframe" },
      [...new Set([...timeframes, current])].map((tf) => h("option", { value: tf, selected: tf === current }, tf)))),
    field("Check for a new candle every (s)", input("interval_seconds", c.interval_seconds, { type: "number",
      min: 1, step: "any" })),
  ];
}

function liveBody(form) {
  return {
    symbols: String(form.get("symbols")).split(",").map((s) => s.trim()).filter(Boolean),
    timeframe: String(form.get("timeframe")).trim() || undefined,
    interval_seconds: form.get("interval_seconds") ? Number(form.get("interval_seconds")) : undefined,
    webhook_endpoint_ids: form.getAll("endpoint").map(Number),
  };
}

async function start(strategy) {
  const form = await formDialog(`Start ${strategy.name}`, [...await liveFields(strategy),
    await endpointChoices(strategy.config.webhook_endpoint_ids)], { submit: "Start" });
  if (!form) return undefined;
  await api(`/api/strategies/${strategy.id}/start`, { method: "POST", body: liveBody(form) });
  return `Started ${strategy.name}.`;
}

async function stop(strategy) {
  await api(`/api/strategies/${strategy.id}/stop`, { method: "POST" });
  return `Stopped ${strategy.name}.`;
}

async function edit(strategy) {
  const params = h("textarea", { id: "cfg-params", name: "params", class: "code", rows: 5, spellcheck: "false" });
  params.value = json(strategy.params);
  const form = await formDialog(`Edit ${strategy.name}`, [
    field("Name", h("input", { id: "cfg-name", name: "name", value: strategy.name, required: true, maxlength: 200 })),
    ...await liveFields(strategy),
    await endpointChoices(strategy.config.webhook_endpoint_ids),
    field("Parameters (JSON, passed to the strategy's __init__)", params),
    h("label", { for: "cfg-enabled", class: "row" }, h("input", { type: "checkbox", id: "cfg-enabled", name: "enabled",
      checked: strategy.enabled }), "Enabled (disabling stops it)"),
  ]);
  if (!form) return undefined;
  let parsed;
  try {
    parsed = JSON.parse(String(form.get("params")) || "{}");
  } catch (error) {
    throw new Error(`Parameters: not valid JSON (${error.message})`);
  }
  await api(`/api/strategies/${strategy.id}/config`, { method: "PUT", body: { ...liveBody(form),
    params: parsed, name: String(form.get("name")), enabled: form.get("enabled") !== null } });
  return `Saved ${strategy.name}.`;
}

async function renderOne(main, id) {
  main.append(h("p", {}, h("a", { href: "#/strategies" }, "← All strategies")));
  const box = h("div");
  main.append(box);
  let stopped = false;
  let timer = null;
  async function load(auto = false) {
    clearTimeout(timer);
    if (auto && box.contains(document.activeElement)) {
      timer = setTimeout(() => load(true), REFRESH_MS);
      return;
    }
    const [one, signals] = await Promise.all([
      attempt(() => api(`/api/strategies/${encodeURIComponent(id)}`)),
      attempt(() => api(`/api/strategies/${encodeURIComponent(id)}/signals?limit=50`)),
    ]);
    if (stopped) return;
    if (!one) {
      box.replaceChildren(h("h1", {}, "Strategy not found"));
      return;
    }
    const s = one.strategy;
    clear(box, h("div", { class: "row spread" }, h("h1", {}, s.name, " ", strategyBadges(s)),
      actions(s, () => load())),
      s.state_reason ? h("p", { class: "callout", id: "st-state-reason" }, h("strong", {}, `${s.state.replace("_", " ")}: `),
        s.state_reason) : null,
      h("div", { class: "grid2" },
        h("div", { class: "panel" }, h("h2", {}, "Configuration"), h("dl", { class: "kv" },
          h("dt", {}, "Id"), h("dd", { class: "mono" }, s.id),
          h("dt", {}, "Class"), h("dd", {}, s.class_name),
          h("dt", {}, "Symbols"), h("dd", {}, s.config.symbols.join(", ") || "—"),
          h("dt", {}, "Exchange · timeframe"), h("dd", {}, `${s.config.exchange || "from the symbol"} · ${s.config.timeframe}`),
          h("dt", {}, "Interval"), h("dd", {}, `${s.config.interval_seconds} s`),
          h("dt", {}, "Webhook endpoints"), h("dd", {}, s.config.webhook_endpoint_ids.join(", ") || "none"),
          h("dt", {}, "Parameters"), h("dd", {}, h("code", {}, JSON.stringify(s.params))))),
        h("div", { class: "panel" }, h("h2", {}, "Activity"), h("dl", { class: "kv" },
          h("dt", {}, "Runs / signals / errors"),
          h("dd", {}, `${s.counters.runs} / ${s.counters.signals} / ${s.counters.errors}`),
          h("dt", {}, "Started"), h("dd", {}, time(s.started_at)),
          h("dt", {}, "Last run"), h("dd", {}, time(s.last_run_at)),
          h("dt", {}, "Runner"), h("dd", {}, s.runner || "—")),
        s.last_error ? h("div", { class: "callout bad" }, h("strong", {}, "Last error: "), s.last_error) : null)),
      (s.freshness || []).length ? [h("h2", {}, "Newest candles"), dataTable({ caption: "Newest candles per symbol",
        rows: s.freshness, columns: [
          { key: "symbol", label: "Symbol" }, { key: "timeframe", label: "TF" },
          { key: "candle_time", label: "Candle", render: (r) => time(r.candle_time) },
          { key: "age_seconds", label: "Age (s)", num: true, render: (r) => Math.round(r.age_seconds) },
          { key: "max_age_seconds", label: "Limit (s)", num: true },
          { key: "fresh", label: "Fresh", render: (r) => (r.fresh ? badge("yes", "good") : badge("stale", "warn")) },
          { key: "checked_at", label: "Checked", render: (r) => ago(r.checked_at) },
        ] })] : null,
      h("h2", {}, "Recent signals"),
      dataTable({ caption: "Recent signals", rows: signals ? signals.signals : [], pageSize: 20, sortable: true,
        empty: "No signal yet.", columns: [
          { key: "candle_time", label: "Candle", render: (r) => time(r.candle_time) },
          { key: "symbol", label: "Symbol" }, { key: "timeframe", label: "TF" },
          { key: "side", label: "Signal", value: (r) => r.payload.side,
            render: (r) => h("code", {}, r.payload.side || JSON.stringify(r.payload)) },
          { key: "price", label: "Price", num: true, value: (r) => r.payload.price, render: (r) => r.payload.price ?? "—" },
          { key: "created_at", label: "Recorded", render: (r) => time(r.created_at) },
        ] }));
    timer = setTimeout(() => load(true), REFRESH_MS);
  }
  await load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
