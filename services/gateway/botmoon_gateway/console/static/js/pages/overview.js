// Overview: the console status (counts, running strategies, recent executions and signals), refreshing itself.
import { api } from "../api.js";
import { ago, badge, card, clear, h, json, strategyBadges, time } from "../dom.js";
import { attempt } from "../notice.js";
import { dataTable } from "../table.js";

const REFRESH_MS = 5000;

export async function render(main) {
  const updated = h("span", { class: "muted" });
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const pause = h("input", { type: "checkbox", id: "overview-pause" });
  main.append(h("div", { class: "row spread" }, h("h1", {}, "Overview"),
    h("div", { class: "row" }, updated, h("label", { for: "overview-pause", class: "row" }, pause, "Pause refresh"))),
  body);

  let timer = null;
  let stopped = false;
  async function refresh(first = false) {
    timer = null;
    if (first || (!pause.checked && !document.hidden)) {
      const status = await attempt(() => api("/api/console/status"));
      if (stopped) return;
      if (status) {
        draw(body, status);
        updated.textContent = `Updated ${time(status.timestamp)}`;
      }
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }
  await refresh(true);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function draw(body, status) {
  const s = status.summary;
  const active = status.strategies.filter((x) => x.status === "running");
  const signals = status.strategies.filter((x) => x.last_signal)
    .map((x) => ({ strategy: x, signal: x.last_signal, at: x.last_run_at }))
    .sort((a, b) => String(b.at).localeCompare(String(a.at))).slice(0, 10);
  body.setAttribute("aria-busy", "false");
  clear(body,
    h("div", { class: "cards", id: "summary" },
      card("Strategies", s.total_strategies), card("Running", s.running_strategies),
      card("Enabled", s.enabled_strategies), card("Symbols", `${s.enabled_symbols} / ${s.total_symbols}`),
      card("Live streams", s.active_streams), card("Executions", s.ai_executions_count),
      card("Saved algorithms", s.saved_algorithms_count)),
    h("div", { class: "grid2" },
      h("section", { "aria-labelledby": "ov-running" }, h("h2", { id: "ov-running" }, "Running strategies"),
        dataTable({ caption: "Running strategies", rows: active, empty: "No strategy is running.", columns: [
          { key: "name", label: "Name", render: (r) => h("a", { href: `#/strategies/${r.id}` }, r.name) },
          { key: "status", label: "Status", render: strategyBadges },
          { key: "symbols", label: "Symbols", render: (r) => r.config.symbols.join(", ") },
          { key: "timeframe", label: "TF", render: (r) => r.config.timeframe },
          { key: "last_run_at", label: "Last run", render: (r) => ago(r.last_run_at) },
        ] })),
      h("section", { "aria-labelledby": "ov-signals" }, h("h2", { id: "ov-signals" }, "Recent signals"),
        dataTable({ caption: "Recent signals", rows: signals, empty: "No signal yet.", columns: [
          { key: "strategy", label: "Strategy", render: (r) => h("a", { href: `#/strategies/${r.strategy.id}` },
            r.strategy.name) },
          { key: "signal", label: "Signal", render: (r) => h("code", {}, brief(r.signal)) },
          { key: "at", label: "When", render: (r) => ago(r.at) },
        ] }))),
    h("section", { "aria-labelledby": "ov-exec" }, h("h2", { id: "ov-exec" }, "Recent executions"),
      dataTable({ caption: "Recent executions", rows: status.ai_executions.slice(0, 10), empty: "No execution yet.",
        columns: [
          { key: "name", label: "Name", render: (r) => h("a", { href: `#/executions/${r.execution_id}` }, r.name) },
          { key: "status", label: "Status", render: (r) => badge(r.status) },
          { key: "execution_time_ms", label: "Time (ms)", num: true },
          { key: "created_at", label: "When", render: (r) => time(r.created_at) },
        ] })),
    h("section", { "aria-labelledby": "ov-streams" }, h("h2", { id: "ov-streams" }, "Live streams"),
      dataTable({ caption: "Live streams", rows: status.streams, empty: "No live stream.", columns: [
        { key: "exchange", label: "Exchange" }, { key: "symbol", label: "Symbol" },
        { key: "timeframe", label: "TF" },
        { key: "last_candle", label: "Last candle", render: (r) => time(r.last_candle) },
        { key: "seconds_since_update", label: "Updated (s ago)", num: true },
      ] })));
}

function brief(signal) {
  const text = json(signal).replace(/\s+/g, " ");
  return text.length > 90 ? `${text.slice(0, 90)}…` : text;
}
