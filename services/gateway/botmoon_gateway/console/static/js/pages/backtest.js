// Backtest: the form (the example one click away), progress, and the result: metric cards, candles with trade
// markers, equity with drawdown, trades, downloads, the lookahead verdict; past results, two side by side.
import { api, query } from "../api.js";
import { candleChart, equityChart, returnsChart } from "../charts.js";
import { badge, card, clear, download, field, h, json, num, signClass, time, toMs, uid } from "../dom.js";
import { codeEditor, savedDraft } from "../editor.js";
import { marketPicker } from "../market.js";
import { attempt, notice } from "../notice.js";
import { dataTable } from "../table.js";

const HISTORY = "botmoon.backtests";
const HISTORY_MAX = 50;
const COMPARE_COLORS = ["#0b5cd5", "#d4761b"];
const TIMEFRAME_MS = { "1m": 60e3, "5m": 300e3, "15m": 900e3, "30m": 1800e3, "1h": 3600e3, "2h": 7200e3,
  "4h": 14400e3, "1d": 86400e3 };

let charts = [];
const examples = new Map();

function dropCharts() {
  for (const chart of charts) chart.destroy();
  charts = [];
}

export function pastRuns() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY) || "[]");
  } catch {
    return [];
  }
}

function remember(result) {
  const entry = { id: result.backtest_id, at: new Date().toISOString(), symbol: result.config.symbol,
    timeframe: result.config.timeframe, exchange: result.config.exchange, success: result.success,
    return_pct: result.metrics ? result.metrics.total_return_pct : null,
    trades: result.trades ? result.trades.length : 0 };
  const list = [entry, ...pastRuns().filter((e) => e.id !== entry.id)].slice(0, HISTORY_MAX);
  localStorage.setItem(HISTORY, JSON.stringify(list));
}

/** A strategy template: the API contract's own by default, or one by name. */
async function loadExample(name = "") {
  if (!examples.has(name)) examples.set(name, await api(`/api/backtest/example${query({ name })}`));
  return examples.get(name);
}

export async function render(main, params) {
  dropCharts();
  const resultBox = h("section", { id: "bt-result", "aria-label": "Backtest result" });
  const historyBox = h("section", { id: "bt-history", "aria-labelledby": "bt-history-title" });
  const form = await backtestForm(resultBox, historyBox);
  main.append(h("h1", {}, "Backtest"), form, resultBox, historyBox);
  drawHistory(historyBox);
  if (params[0]) form.querySelector("#bt-code-box").open = false;
  if (params[0] === "compare" && params[1] && params[2]) await showComparison(resultBox, params[1], params[2]);
  else if (params[0]) {
    const result = await attempt(() => api(`/api/backtest/${encodeURIComponent(params[0])}`));
    if (result) await showResult(resultBox, result);
  }
  return dropCharts;
}

async function backtestForm(resultBox, historyBox) {
  const { market, timeframe, chosen: chosenMarket } = await marketPicker("bt");
  const editor = codeEditor({ id: "bt-code", label: "Strategy code", value: savedDraft() });
  const params = h("textarea", { id: "bt-params", class: "code", rows: 3, spellcheck: "false" });
  params.value = "{}";
  const modeId = uid("mode");
  const byLimit = h("input", { type: "radio", name: modeId, id: `${modeId}-n`, value: "limit", checked: true });
  const byRange = h("input", { type: "radio", name: modeId, id: `${modeId}-r`, value: "range" });
  const limit = h("input", { id: "bt-limit", type: "number", min: 10, max: 1000000, value: 500, required: true });
  const start = h("input", { id: "bt-start", type: "date", disabled: true });
  const end = h("input", { id: "bt-end", type: "date", disabled: true });
  const toggleMode = () => {
    limit.disabled = byRange.checked;
    start.disabled = end.disabled = !byRange.checked;
  };
  byLimit.addEventListener("change", toggleMode);
  byRange.addEventListener("change", toggleMode);
  const capital = h("input", { id: "bt-capital", type: "number", min: 1, step: "any", value: 10000, required: true });
  const fees = h("input", { id: "bt-fees", type: "number", min: 0, max: 10, step: "any", value: 0.05, required: true });
  const long = h("input", { type: "checkbox", id: "bt-long", checked: true });
  const short = h("input", { type: "checkbox", id: "bt-short", checked: true });
  const lookahead = h("input", { type: "checkbox", id: "bt-lookahead", checked: true });
  const progress = h("div", { id: "bt-progress", "aria-live": "polite" });
  const runButton = h("button", { type: "submit", class: "primary", id: "bt-run" }, "Run backtest");
  const exampleButton = h("button", { type: "button", id: "bt-example" }, "Run the example");
  const loadButton = h("button", { type: "button", id: "bt-load-example" }, "Load the example");

  const template = h("select", { id: "bt-template", "aria-label": "Example strategy" });
  const first = await attempt(() => loadExample());
  if (first) {
    const names = first.examples || [first.name || ""];
    template.replaceChildren(...names.map((name) => h("option", { value: name, selected: name === first.name },
      (name || "example").replace(/_/g, " "))));
    if (!editor.get().trim()) {
      editor.set(first.code);
      params.value = json(first.strategy_params);
    }
  }
  const fillExample = async () => {
    const ex = await loadExample(template.value);
    editor.set(ex.code);
    params.value = json(ex.strategy_params);
    return true;
  };
  loadButton.addEventListener("click", () => attempt(fillExample));
  exampleButton.addEventListener("click", async () => {
    if (await attempt(fillExample)) form.requestSubmit();
  });

  function body() {
    let strategyParams;
    try {
      strategyParams = JSON.parse(params.value || "{}");
    } catch (error) {
      throw new Error(`Strategy parameters: not valid JSON (${error.message})`);
    }
    const directions = [long.checked && "long", short.checked && "short"].filter(Boolean);
    if (!directions.length) throw new Error("Directions: choose long, short or both");
    const config = { ...chosenMarket(),
      initial_capital: Number(capital.value), commission_rate: Number(fees.value) / 100,
      enabled_directions: directions, check_lookahead: lookahead.checked };
    if (byRange.checked) {
      if (!start.value || !end.value) throw new Error("Range: give both the first and the last day");
      config.start = `${start.value}T00:00:00Z`;
      config.end = `${end.value}T23:59:59Z`;
    } else config.limit = Number(limit.value);
    return { code: editor.get(), strategy_params: strategyParams, backtest_config: config };
  }

  let controller = null;
  const form = h("form", { class: "panel", id: "bt-form", "aria-labelledby": "bt-form-title" },
    h("div", { class: "row spread" }, h("h2", { id: "bt-form-title" }, "New backtest"),
      h("div", { class: "row" }, template, exampleButton, loadButton)),
    h("div", { class: "fields" },
      field("Market", market), field("Timeframe", timeframe),
      h("fieldset", { class: "field" }, h("legend", {}, "Candles"),
        h("label", { for: byLimit.id }, byLimit, " newest N"), h("label", { for: byRange.id }, byRange, " date range")),
      field("Newest N candles", limit), field("First day (UTC)", start), field("Last day (UTC)", end),
      field("Initial capital", capital), field("Fee per side (%)", fees),
      h("fieldset", { class: "field" }, h("legend", {}, "Directions"),
        h("label", { for: "bt-long" }, long, " long"), h("label", { for: "bt-short" }, short, " short")),
      h("div", { class: "field" }, h("label", { for: "bt-lookahead", class: "row" }, lookahead,
        "Check for lookahead"))),
    h("details", { class: "code-box", id: "bt-code-box", open: true }, h("summary", {}, "Strategy code and parameters"),
      editor, field("Strategy parameters (JSON)", params, { wide: true })),
    h("div", { class: "actions" }, runButton), progress);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let request;
    try {
      request = body();
    } catch (error) {
      notice(error);
      return;
    }
    controller = new AbortController();
    runButton.disabled = exampleButton.disabled = true;
    const started = performance.now();
    const stage = h("span", {}, "Running the strategy in the sandbox and simulating the trades…");
    const elapsed = h("span", { class: "muted" }, "0.0 s");
    const tick = setInterval(() => { elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
    clear(progress, h("div", { class: "progress", role: "status" },
      h("progress", { "aria-label": "Backtest running" }), stage, elapsed,
      h("button", { type: "button", class: "small", onclick: () => controller.abort() }, "Cancel")));
    try {
      const result = await attempt(() => api("/api/backtest/run", { method: "POST", body: request,
        signal: controller.signal }));
      if (result) {
        remember(result);
        history.replaceState(null, "", `#/backtest/${result.backtest_id}`);
        stage.textContent = "Loading the candles for the chart…";
        form.querySelector("#bt-code-box").open = false;
        await showResult(resultBox, result, controller.signal);
        drawHistory(historyBox);
        resultBox.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    } finally {
      clearInterval(tick);
      clear(progress);
      runButton.disabled = exampleButton.disabled = false;
    }
  });
  return form;
}

async function candlesFor(config, signal) {
  const step = TIMEFRAME_MS[config.timeframe] || 0;
  const first = toMs(config.data_start);
  const last = toMs(config.data_end);
  return api(`/api/marketdata/candles${query({ symbol: config.symbol, exchange: config.exchange,
    type: config.symbol_type, timeframe: config.timeframe, start: first, end: last + Math.max(step, 1),
    store_only: true })}`, { signal });
}

/** Draws one result; marks `bt-data` when its data is in and measures `bt-draw` once the charts are painted. */
export async function showResult(box, result, signal) {
  dropCharts();
  const candles = result.success && result.config && result.config.data_points
    ? await attempt(() => candlesFor(result.config, signal)) : null;
  performance.clearMarks("bt-data");
  performance.clearMeasures("bt-build");
  performance.clearMeasures("bt-draw");
  performance.mark("bt-data");
  box.dataset.state = "drawing";
  const { view, draw } = resultView(result, candles);
  clear(box, ...view);
  draw();
  box.dataset.buildMs = performance.measure("bt-build", "bt-data").duration.toFixed(1);
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  box.dataset.drawMs = performance.measure("bt-draw", "bt-data").duration.toFixed(1);
  box.dataset.state = "drawn";
  box.dataset.backtestId = result.backtest_id;
}

function resultView(result, candles) {
  const c = result.config || {};
  const head = h("div", { class: "row spread" },
    h("h2", { id: "bt-result-title" }, `${c.symbol || "?"} · ${c.timeframe || "?"} `,
      badge(result.success ? "completed" : (result.status || "failed"))),
    h("div", { class: "row" },
      h("button", { type: "button", id: "bt-json", onclick: () => download(`${result.backtest_id}.json`,
        json(result), "application/json") }, "Download JSON"),
      h("button", { type: "button", id: "bt-csv", disabled: !result.trades,
        onclick: () => download(`${result.backtest_id}-trades.csv`, tradesCsv(result.trades || []), "text/csv") },
      "Download trades CSV")));
  const about = h("p", { class: "muted" }, `${result.backtest_id} · ${c.exchange || ""} ${c.symbol_type || ""} · `,
    `${c.data_points ?? "?"} candles from ${time(c.data_start)} to ${time(c.data_end)} (${c.source || "?"})`,
    result.duration_ms ? ` · ran in ${(result.duration_ms / 1000).toFixed(2)} s` : "");
  const warnings = (result.warnings || []).length
    ? h("details", { class: "callout" }, h("summary", {}, `${result.warnings.length} warning(s)`),
      h("ul", {}, result.warnings.map((w) => h("li", {}, w)))) : null;
  if (!result.success) {
    const e = result.error || {};
    return { draw: () => {}, view: [head, about, warnings, h("div", { class: "callout bad", id: "bt-error" },
      h("strong", {}, `${e.type || "Error"}: `), e.message || "the backtest failed", e.line ? ` (line ${e.line})` : "",
      e.traceback ? h("pre", {}, e.traceback) : null,
      (result.problems || []).length ? h("ul", {}, result.problems.map((p) =>
        h("li", {}, `line ${p.line}, column ${p.column}: ${p.rule}: ${p.message}`))) : null)] };
  }
  const candleBox = h("div", { class: "chart", id: "bt-candles", role: "img",
    "aria-label": `Candlestick chart with ${result.trades.length} trades: arrows mark entries, circles exits` });
  const equityBox = h("div", { class: "chart short", id: "bt-equity", role: "img",
    "aria-label": "Equity curve with the drawdown under it" });
  const view = [head, about, warnings, metricCards(result.metrics), lookaheadVerdict(result),
    h("div", { class: "panel" }, h("h3", {}, "Price and trades"),
      h("div", { class: "legend" }, h("span", {}, "▲ long entry"),
        h("span", {}, "▼ short entry"), h("span", {}, "● exit"), h("span", {}, "times in UTC")),
      candles ? candleBox : h("p", { class: "muted" }, "The candles are not available for the chart.")),
    h("div", { class: "panel" }, h("h3", {}, "Equity and drawdown"), equityBox),
    h("section", { class: "panel", id: "bt-trades", "aria-labelledby": "bt-trades-title" },
      h("h3", { id: "bt-trades-title" }, `Trades (${result.trades.length})`), tradesTable(result.trades))];
  // Charts size themselves from their boxes, so they are drawn once the view is in the document.
  const draw = () => {
    if (candles) charts.push(candleChart(candleBox, candles.candles, result.trades));
    charts.push(equityChart(equityBox, result.equity_curve || []));
  };
  return { view, draw };
}

const METRICS = [
  ["Total return", (m) => `${num(m.total_return_pct)} %`, (m) => m.total_return_pct],
  ["Final equity", (m) => num(m.final_equity)],
  ["Max drawdown", (m) => `${num(m.max_drawdown)} %`, (m) => (m.max_drawdown ? -1 : 0)],
  ["Trades", (m) => [String(m.total_trades), h("small", { class: "muted" },
    ` ${m.long_trades ?? 0} long · ${m.short_trades ?? 0} short`)], null, (m) => `${m.total_trades}`],
  ["Win rate", (m) => (m.win_rate === null ? "—" : `${num(m.win_rate, 1)} %`)],
  ["Profit factor", (m) => num(m.profit_factor)],
  ["Sharpe", (m) => num(m.sharpe_ratio)],
  ["Sortino", (m) => num(m.sortino_ratio)],
  ["CAGR", (m) => (m.cagr === null ? "—" : `${num(m.cagr)} %`), (m) => m.cagr],
  ["Expectancy", (m) => num(m.expectancy), (m) => m.expectancy],
  ["Exposure", (m) => `${num(m.exposure_pct, 1)} %`],
  ["Fees paid", (m) => num(m.fees_paid)],
  ["Buy and hold", (m) => `${num(m.buy_and_hold_return_pct)} %`, (m) => m.buy_and_hold_return_pct],
];

function metricCards(metrics) {
  return h("div", { class: "cards", id: "bt-metrics" },
    METRICS.map(([label, show, tone]) => card(label, show(metrics), tone ? signClass(tone(metrics)) : "")));
}

function lookaheadVerdict(result) {
  const look = result.lookahead;
  if (!look) {
    return h("p", { id: "bt-lookahead-verdict", class: "callout" },
      h("strong", {}, "Lookahead: not checked. "), "Tick “Check for lookahead” to re-run on cut data.");
  }
  if (look.clean) {
    return h("p", { id: "bt-lookahead-verdict", class: "callout good" }, h("strong", {}, "Lookahead: none found. "),
      `Signals stayed the same on ${look.checked_cuts} cut(s) of the data.`);
  }
  return h("div", { id: "bt-lookahead-verdict", class: "callout bad" },
    h("strong", {}, `Lookahead: ${look.suspicious.length} signal(s) change when later candles are removed. `),
    "The strategy uses data from the future; its results are not to be trusted.",
    h("ul", {}, look.suspicious.slice(0, 10).map((s) =>
      h("li", {}, `${time(s.time)} ${s.type} ${s.change} (data until ${time(s.data_until)})`))));
}

const TRADE_COLUMNS = [
  { key: "n", label: "#", num: true },
  { key: "side", label: "Side", render: (t) => badge(t.side, t.side === "long" ? "good" : "bad"), value: (t) => t.side },
  { key: "entry_time", label: "Entry", render: (t) => time(t.entry_time), value: (t) => toMs(t.entry_time) },
  { key: "entry_price", label: "Entry price", num: true, render: (t) => num(t.entry_price) },
  { key: "exit_time", label: "Exit", render: (t) => time(t.exit_time), value: (t) => toMs(t.exit_time) },
  { key: "exit_price", label: "Exit price", num: true, render: (t) => num(t.exit_price) },
  { key: "size", label: "Size", num: true, render: (t) => num(t.size, 4) },
  { key: "exit_reason", label: "Exit reason" },
  { key: "net_pnl", label: "Net P&L", num: true, render: (t) => h("span", { class: signClass(t.net_pnl) },
    num(t.net_pnl)) },
  { key: "return_pct", label: "Return %", num: true, render: (t) => h("span", { class: signClass(t.return_pct) },
    num(t.return_pct)) },
  { key: "fees", label: "Fees", num: true, render: (t) => num(t.fees) },
];

function tradesTable(trades) {
  return dataTable({ caption: "Trades", rows: trades.map((t, i) => ({ ...t, n: i + 1 })), columns: TRADE_COLUMNS,
    pageSize: 20, sortable: true, empty: "The strategy made no trade.", rowAttrs: () => ({ class: "trade" }) });
}

const CSV_FIELDS = ["side", "entry_time", "entry_price", "exit_time", "exit_price", "size", "exit_reason",
  "gross_pnl", "fees", "net_pnl", "return_pct", "size_capped", "note"];

export function tradesCsv(trades) {
  const cell = (v) => {
    const text = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [CSV_FIELDS.join(","), ...trades.map((t) => CSV_FIELDS.map((f) => cell(t[f])).join(","))].join("\n") + "\n";
}

function drawHistory(box) {
  const list = pastRuns();
  const chosen = new Set();
  const compare = h("button", { type: "button", id: "bt-compare", disabled: true, onclick: () => {
    const [a, b] = [...chosen];
    location.hash = `#/backtest/compare/${a}/${b}`;
  } }, "Compare the two chosen");
  const table = dataTable({ caption: "Past backtests", rows: list, pageSize: 10, empty: "No backtest run here yet.",
    columns: [
      { key: "pick", label: "Compare", render: (r) => h("input", { type: "checkbox", "aria-label": `Compare ${r.id}`,
        dataset: { id: r.id }, onchange: (event) => {
          if (event.target.checked) chosen.add(r.id);
          else chosen.delete(r.id);
          compare.disabled = chosen.size !== 2;
        } }) },
      { key: "id", label: "Backtest", render: (r) => h("a", { href: `#/backtest/${r.id}` }, r.id) },
      { key: "at", label: "Run", render: (r) => time(r.at) },
      { key: "symbol", label: "Market", render: (r) => `${r.symbol} · ${r.timeframe}` },
      { key: "trades", label: "Trades", num: true },
      { key: "return_pct", label: "Return %", num: true, render: (r) => (r.success
        ? h("span", { class: signClass(r.return_pct) }, num(r.return_pct)) : badge("failed")) },
    ] });
  clear(box, h("div", { class: "row spread" }, h("h2", { id: "bt-history-title" }, "Past results"), compare),
    h("p", { class: "hint" }, "Kept in this browser; choose two to see them side by side."), table);
}

async function showComparison(box, a, b) {
  const runs = await attempt(() => Promise.all([a, b].map((id) => api(`/api/backtest/${encodeURIComponent(id)}`))));
  if (!runs) return;
  dropCharts();
  const chartBox = h("div", { class: "chart short", id: "bt-compare-chart", role: "img",
    "aria-label": "The two equity curves as returns in percent" });
  const rows = METRICS.map(([label, show, , text]) => ({ label,
    values: runs.map((r) => (r.metrics ? (text || show)(r.metrics) : "—")) }));
  clear(box, h("h2", {}, "Side by side"),
    h("div", { class: "table-wrap plain", id: "bt-compare-table" }, h("table", {},
      h("caption", { class: "visually-hidden" }, "Two backtests side by side"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Metric"), runs.map((r, i) => h("th", { scope: "col" },
        h("span", { class: `swatch compare-${i}`, "aria-hidden": "true" }),
        h("a", { href: `#/backtest/${r.backtest_id}` }, `${r.config.symbol} · ${r.config.timeframe}`),
        h("br"), h("span", { class: "muted mono" }, r.backtest_id))))),
      h("tbody", {}, rows.map((row) => h("tr", {}, h("th", { scope: "row" }, row.label),
        row.values.map((v) => h("td", { class: "num" }, v))))))),
    h("div", { class: "panel" }, h("h3", {}, "Returns (%)"),
      h("div", { class: "legend" }, runs.map((r, i) => h("span", {},
        h("span", { class: `swatch compare-${i}` }), `${r.backtest_id} (${r.config.symbol} · ${r.config.timeframe})`))),
      chartBox));
  charts.push(returnsChart(chartBox, runs.filter((r) => r.success).map((r, i) => ({ label: r.backtest_id,
    curve: r.equity_curve, initial: r.config.initial_capital, color: COMPARE_COLORS[i] }))));
}
