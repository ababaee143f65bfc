// Sweeps: a parameter grid (two parameters, or one) over a strategy, followed live from the server's event
// stream; the ranked table, a heatmap of the objective per cell, and the walk-forward out-of-sample equity.
import { api, events, query } from "../api.js";
import { stitchedChart } from "../charts.js";
import { badge, card, clear, field, h, num, time } from "../dom.js";
import { codeEditor, savedDraft } from "../editor.js";
import { marketPicker } from "../market.js";
import { attempt, notice } from "../notice.js";
import { dataTable } from "../table.js";

const OBJECTIVES = ["sharpe_ratio", "sortino_ratio", "calmar_ratio", "total_return_pct", "cagr", "profit_factor",
  "expectancy", "win_rate", "sqn", "max_drawdown", "total_trades"];
const TEMPLATE = "ema_cross";
const HEATMAP_MAX_ROWS = 2500;  // the whole table of any grid a heatmap can show, in each event
const REDRAW_MS = 400;
const STREAM_RETRIES = 5;
const UNFINISHED = new Set(["queued", "running"]);
// One hue, stronger for better values (readable with red-green colour blindness); the value is printed too.
const HEAT_MIN = 8;
const HEAT_MAX = 70;

let charts = [];
let follow = null;  // the event stream being read, aborted on leaving the page

function stopAll() {
  if (follow) follow.abort();
  follow = null;
  for (const chart of charts) chart.destroy();
  charts = [];
}

export async function render(main, params) {
  stopAll();
  const resultBox = h("section", { id: "sw-result", "aria-label": "Sweep result" });
  const historyBox = h("section", { id: "sw-history", "aria-labelledby": "sw-history-title" });
  const form = await sweepForm(resultBox, historyBox);
  main.append(h("h1", {}, "Sweeps"), form, resultBox, historyBox);
  drawHistory(historyBox);
  if (params[0]) {
    form.querySelector("#sw-code-box").open = false;
    const sweep = await attempt(() => api(`/api/backtest/sweeps/${encodeURIComponent(params[0])}${query({
      top: HEATMAP_MAX_ROWS })}`));
    if (sweep) await watch(resultBox, sweep, historyBox);
  }
  return stopAll;
}

/** "5:50:5" an inclusive range, "10, 20, 30" a list; numbers where they read as numbers. */
export function parseValues(text) {
  const value = (t) => (t.trim() !== "" && !Number.isNaN(Number(t)) ? Number(t) : t.trim());
  const spec = text.trim();
  if (!spec) throw new Error("give values: 5:50:5 (start:stop:step) or 10, 20, 30");
  if (spec.includes(":")) {
    const parts = spec.split(":").map(value);
    if (parts.length !== 3 || parts.some((p) => typeof p !== "number")) {
      throw new Error(`${spec}: a range is start:stop:step, three numbers`);
    }
    return { start: parts[0], stop: parts[1], step: parts[2] };
  }
  return spec.split(",").filter((t) => t.trim()).map(value);
}

async function sweepForm(resultBox, historyBox) {
  const { market, timeframe, chosen: chosenMarket } = await marketPicker("sw");
  const templates = await attempt(() => api(`/api/backtest/example${query({ name: TEMPLATE })}`));
  const editor = codeEditor({ id: "sw-code", label: "Strategy code", value: savedDraft() });
  const fixed = h("textarea", { id: "sw-fixed", class: "code", rows: 2, spellcheck: "false" });
  fixed.value = "{}";
  const limit = h("input", { id: "sw-limit", type: "number", min: 10, max: 1000000, value: 1000 });
  const start = h("input", { id: "sw-start", type: "date" });
  const end = h("input", { id: "sw-end", type: "date" });
  const objective = h("select", { id: "sw-objective" }, OBJECTIVES.map((o) => h("option", { value: o }, o)));
  const minTrades = h("input", { id: "sw-min-trades", type: "number", min: 0, step: 1, placeholder: "none" });
  const names = [h("input", { id: "sw-p1-name", autocomplete: "off", value: "fast_period" }),
    h("input", { id: "sw-p2-name", autocomplete: "off", value: "slow_period" })];
  const values = [h("input", { id: "sw-p1-values", autocomplete: "off", value: "5:15:5",
    "aria-describedby": "sw-values-hint" }),
  h("input", { id: "sw-p2-values", autocomplete: "off", value: "30, 50", "aria-describedby": "sw-values-hint" })];
  const wf = h("input", { type: "checkbox", id: "sw-wf" });
  const wfIn = h("input", { id: "sw-wf-in", value: "60d", disabled: true, autocomplete: "off" });
  const wfOut = h("input", { id: "sw-wf-out", value: "20d", disabled: true, autocomplete: "off" });
  const wfStep = h("input", { id: "sw-wf-step", placeholder: "= out-of-sample", disabled: true, autocomplete: "off" });
  const anchored = h("input", { type: "checkbox", id: "sw-wf-anchored", disabled: true });
  wf.addEventListener("change", () => {
    wfIn.disabled = wfOut.disabled = wfStep.disabled = anchored.disabled = !wf.checked;
  });
  const loadButton = h("button", { type: "button", id: "sw-load-example" }, "Load the EMA example");
  loadButton.addEventListener("click", () => {
    if (!templates) return;
    editor.set(templates.code);
    fixed.value = "{}";
  });
  if (templates && !editor.get().trim()) editor.set(templates.code);
  const runButton = h("button", { type: "submit", class: "primary", id: "sw-run" }, "Run sweep");

  function body() {
    let strategyParams;
    try {
      strategyParams = JSON.parse(fixed.value || "{}");
    } catch (error) {
      throw new Error(`Fixed parameters: not valid JSON (${error.message})`);
    }
    const space = {};
    names.forEach((name, i) => {
      if (!name.value.trim()) return;
      try {
        space[name.value.trim()] = parseValues(values[i].value);
      } catch (error) {
        throw new Error(`Parameter ${name.value.trim()}: ${error.message}`);
      }
    });
    if (!Object.keys(space).length) throw new Error("Parameters: name at least one, with its values");
    const config = chosenMarket();
    if (start.value) config.start = `${start.value}T00:00:00Z`;
    if (end.value) config.end = `${end.value}T23:59:59Z`;
    if (limit.value && !(start.value && end.value)) config.limit = Number(limit.value);
    const request = { code: editor.get(), backtest_config: config, strategy_params: strategyParams, space,
      objective: objective.value };
    if (minTrades.value !== "") request.constraints = [{ metric: "total_trades", min: Number(minTrades.value) }];
    if (wf.checked) {
      request.walk_forward = { in_sample: wfIn.value.trim(), out_of_sample: wfOut.value.trim(),
        mode: anchored.checked ? "anchored" : "rolling" };
      if (wfStep.value.trim()) request.walk_forward.step = wfStep.value.trim();
    }
    return request;
  }

  const paramRow = (i) => h("div", { class: "row bottom param-row" },
    field(`Parameter ${i + 1}${i ? " (optional)" : ""}`, names[i]), field("Values", values[i], { double: true }));
  const form = h("form", { class: "panel", id: "sw-form", "aria-labelledby": "sw-form-title" },
    h("div", { class: "row spread" }, h("h2", { id: "sw-form-title" }, "New sweep"), loadButton),
    h("fieldset", { class: "params" }, h("legend", {}, "The grid: two parameters of the strategy's __init__"),
      paramRow(0), paramRow(1),
      h("p", { class: "hint", id: "sw-values-hint" },
        "Values: 5:50:5 is every value from 5 to 50 in steps of 5; 10, 20, 30 is a list.")),
    h("div", { class: "fields" },
      field("Market", market), field("Timeframe", timeframe),
      field("Newest N candles", limit, { hint: "unless both days are set" }),
      field("First day (UTC)", start), field("Last day (UTC)", end),
      field("Rank by", objective), field("Fewest trades to pass", minTrades)),
    h("details", { class: "code-box", id: "sw-wf-box" }, h("summary", {}, "Walk-forward"),
      h("p", { class: "hint" }, "Per window, the best combination on the in-sample part is tested on the "
        + "out-of-sample part after it. Needs a first day. Lengths: 90d, 12h, 4w."),
      h("div", { class: "fields" },
        h("div", { class: "field" }, h("label", { for: wf.id, class: "row" }, wf, "Run walk-forward")),
        field("In-sample", wfIn), field("Out-of-sample", wfOut), field("Step", wfStep),
        h("div", { class: "field" }, h("label", { for: anchored.id, class: "row" }, anchored,
          "Anchored (in-sample grows from the first day)")))),
    h("details", { class: "code-box", id: "sw-code-box", open: true },
      h("summary", {}, "Strategy code and fixed parameters"),
      editor, field("Fixed parameters (JSON, under every combination)", fixed, { wide: true })),
    h("div", { class: "actions" }, runButton));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let request;
    try {
      request = body();
    } catch (error) {
      notice(error);
      return;
    }
    runButton.disabled = true;
    try {
      const created = await attempt(() => api("/api/backtest/sweeps", { method: "POST", body: request }));
      if (!created) return;
      history.replaceState(null, "", `#/sweeps/${created.sweep_id}`);
      form.querySelector("#sw-code-box").open = false;
      const first = await attempt(() => api(`/api/backtest/sweeps/${created.sweep_id}${query({ top: 0 })}`));
      if (first) await watch(resultBox, first, historyBox);
    } finally {
      runButton.disabled = false;
    }
  });
  return form;
}

/** Shows a sweep and, while it runs, follows its event stream; redraws at most every REDRAW_MS. */
async function watch(box, sweep, historyBox) {
  stopAll();
  const view = sweepView(box);
  view.update(sweep);
  if (!UNFINISHED.has(sweep.status)) {
    view.finish(sweep);
    return;
  }
  const controller = new AbortController();
  follow = controller;
  let latest = sweep;
  let drawn = 0;
  let timer = null;
  const redraw = () => {
    timer = null;
    drawn = performance.now();
    view.update(latest);
  };
  const path = `/api/backtest/sweeps/${encodeURIComponent(sweep.sweep_id)}`;
  view.onCancel(async () => {
    const stopped = await attempt(() => api(path, { method: "DELETE" }));
    if (stopped) notice(`Sweep ${sweep.sweep_id} cancelled`, true);
  });
  let final = latest;
  // A dropped stream (a gateway restarted, a proxy's timeout) is opened again while the sweep is unfinished.
  for (let round = 0; round < STREAM_RETRIES && UNFINISHED.has(final.status); round += 1) {
    if (round) await new Promise((resolve) => setTimeout(resolve, 1000 * round));
    await attempt(() => events(`${path}/events${query({ top: HEATMAP_MAX_ROWS })}`, (name, data) => {
      if (!data || typeof data !== "object") return;
      latest = data;
      if (name === "done") return;
      if (performance.now() - drawn >= REDRAW_MS) redraw();
      else if (!timer) timer = setTimeout(redraw, REDRAW_MS);
    }, { signal: controller.signal }));
    if (timer) clearTimeout(timer);
    timer = null;
    if (controller.signal.aborted) return;
    // The stream's documents hold the table's first rows; the full one fills the heatmap.
    final = await attempt(() => api(`${path}${query({ top: HEATMAP_MAX_ROWS })}`)) || latest;
  }
  follow = null;
  view.update(final);
  view.finish(final);
  drawHistory(historyBox);
}

function sweepView(box) {
  const title = h("h2", { id: "sw-result-title" });
  const bar = h("progress", { id: "sw-bar", max: 1, value: 0, "aria-label": "Sweep progress" });
  const counts = h("span", { id: "sw-counts" });
  const eta = h("span", { class: "muted", id: "sw-eta" });
  const cancel = h("button", { type: "button", class: "small", id: "sw-cancel" }, "Cancel sweep");
  // The bar and counts change several times a second: screen readers hear the start and the end only.
  const progress = h("div", { class: "progress" }, bar, counts, eta, cancel);
  const announce = h("p", { class: "visually-hidden", role: "status", id: "sw-announce" });
  const cards = h("div", { class: "cards", id: "sw-cards" });
  const error = h("div", { id: "sw-error" });
  const heat = h("section", { class: "panel", id: "sw-heat", "aria-labelledby": "sw-heat-title" });
  const table = h("section", { class: "panel", id: "sw-table", "aria-labelledby": "sw-table-title" });
  const wfBox = h("section", { id: "sw-wf-result", "aria-label": "Walk-forward" });
  clear(box, title, announce, progress, error, cards, heat, table, wfBox);
  box.dataset.state = "running";
  let heatWindow = null;

  function update(s) {
    const p = s.progress;
    if (!announce.textContent) announce.textContent = `Sweep ${s.sweep_id} ${s.status}: ${p.total} runs.`;
    box.dataset.sweepId = s.sweep_id;
    clear(title, `${s.sweep_id} `, badge(s.status, { cancelled: "plain", queued: "info" }[s.status]));
    bar.max = Math.max(1, p.total);
    bar.value = p.done;
    counts.textContent = `${p.done} / ${p.total} runs${p.failed ? ` · ${p.failed} failed` : ""}`;
    eta.textContent = p.eta_s === null || p.eta_s === undefined ? "" : `about ${Math.ceil(p.eta_s)} s left`;
    cancel.hidden = !UNFINISHED.has(s.status);
    const best = s.best;
    clear(cards, card(`Best ${s.objective}`, best ? num(best.objective_value, 3) : "—"),
      card("Best parameters", h("span", { class: "params" }, best
        ? Object.entries(best.params).map(([k, v]) => h("span", {}, `${k}=${v}`)) : "—")),
      card("Trades (best)", best ? String(best.metrics.total_trades ?? "—") : "—"),
      card("Return % (best)", best ? num(best.metrics.total_return_pct) : "—"),
      card("Ranked", s.maximize ? "highest first" : "lowest first"));
    clear(error, s.error ? h("p", { class: "callout bad" }, s.error) : null);
    const rows = (s.results || []);
    const windows = s.walk_forward ? s.walk_forward.windows.length : 0;
    if (heatWindow === null && windows) heatWindow = 0;
    const drawHeat = (w) => {
      heatWindow = w;
      drawHeatmap(heat, s, rows, windows, w, drawHeat);
    };
    drawHeat(heatWindow);
    drawTable(table, s, rows);
  }

  function finish(s) {
    cancel.hidden = true;
    announce.textContent = `Sweep ${s.sweep_id} ${s.status}: ${s.progress.done} of ${s.progress.total} runs.`;
    if (s.walk_forward) drawWalkForward(wfBox, s);
    box.dataset.state = "done";
    box.dataset.status = s.status;
  }

  return { update, finish, onCancel: (fn) => { cancel.onclick = fn; } };
}

function paramsText(params) {
  return Object.entries(params || {}).map(([k, v]) => `${k}=${v}`).join(" ") || "—";
}

const sortValues = (list) => [...new Set(list.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v))
  .sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));

/** The objective per cell of the two parameters' grid (rows: the first, columns: the second), as a table: its
 * headers name each cell for screen readers; the colour runs from the worst value to the best. */
function drawHeatmap(box, sweep, allRows, windows, window, chooseWindow) {
  const rows = windows ? allRows.filter((r) => r.window === window) : allRows.filter((r) => r.window == null);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const [a, b] = names;
  const picker = windows ? h("label", { class: "row", for: "sw-heat-window" }, "Window ",
    h("select", { id: "sw-heat-window", onchange: (e) => chooseWindow(Number(e.target.value)) },
      Array.from({ length: windows }, (_, i) => h("option", { value: i, selected: i === window }, `in-sample ${i}`))))
    : null;
  const head = h("div", { class: "row spread" }, h("h3", { id: "sw-heat-title" },
    `${sweep.objective} per combination`), picker);
  if (!a) {
    clear(box, head, h("p", { class: "muted" }, "No result yet."));
    return;
  }
  const across = b ? sortValues(rows.map((r) => r.params[b])) : [null];
  const down = sortValues(rows.map((r) => r.params[a]));
  const key = (x, y) => JSON.stringify([x, y]);
  const cells = new Map(rows.map((r) => [key(r.params[a], b ? r.params[b] : null), r]));
  const scored = rows.map((r) => r.objective_value).filter((v) => typeof v === "number");
  const low = Math.min(...scored);
  const high = Math.max(...scored);
  const goodness = (v) => {
    if (typeof v !== "number" || !scored.length) return null;
    const t = high === low ? 1 : (v - low) / (high - low);
    return sweep.maximize ? t : 1 - t;
  };
  const ranked = rows.filter((r) => r.rank !== null && r.rank !== undefined);
  const best = ranked.length ? ranked.reduce((x, y) => (y.rank < x.rank ? y : x)).combination_id : null;
  const table = h("table", { class: "heatmap", id: "sw-heatmap", dataset: { rows: down.length, columns: across.length } },
    h("caption", { class: "visually-hidden" }, `${sweep.objective} for each ${a}${b ? ` and ${b}` : ""}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "corner" }, b ? [`${b} →`, h("br"), `${a} ↓`] : a),
      across.map((x) => h("th", { scope: "col", class: "num" }, x === null ? sweep.objective : String(x))))),
    h("tbody", {}, down.map((y) => h("tr", {}, h("th", { scope: "row", class: "num" }, String(y)),
      across.map((x) => {
        const row = cells.get(key(y, x));
        if (!row) return h("td", { class: "cell empty-cell" }, "");
        const g = goodness(row.objective_value);
        const label = `${a}=${y}${b ? `, ${b}=${x}` : ""}: ${sweep.objective} ${num(row.objective_value, 3)}`
          + (row.rank ? `, rank ${row.rank}` : "") + (row.passed ? "" : ", does not pass");
        return h("td", { class: `cell num${row.combination_id === best ? " best" : ""}${row.passed ? "" : " failed"}`,
          title: label, style: g === null ? null : `--heat: ${Math.round(HEAT_MIN + g * (HEAT_MAX - HEAT_MIN))}%`,
          dataset: { value: row.objective_value ?? "", rank: row.rank ?? "", combination: row.combination_id } },
        h("span", { class: "visually-hidden" }, label), h("span", { "aria-hidden": "true" },
          num(row.objective_value, 2)));
      })))));
  clear(box, head, h("div", { class: "table-wrap plain heat-wrap" }, table),
    h("div", { class: "legend" }, h("span", { class: "heat-scale", "aria-hidden": "true" }),
      h("span", {}, `worst ${num(sweep.maximize ? low : high, 3)} → best ${num(sweep.maximize ? high : low, 3)}`),
      h("span", {}, "outlined: the best shown; hatched: fails a constraint")));
}

function drawTable(box, sweep, rows) {
  const ranked = rows.filter((r) => r.window == null);
  const shown = ranked.length ? ranked : rows;
  const names = [...new Set(shown.flatMap((r) => Object.keys(r.params)))];
  const link = (r) => h("a", { href: `/api/backtest/sweeps/${encodeURIComponent(sweep.sweep_id)}/results/${
    r.combination_id}`, target: "_blank", rel: "noopener" }, String(r.combination_id));
  const columns = [
    { key: "rank", label: "Rank", num: true },
    { key: "combination_id", label: "Run", num: true, render: link },
    ...names.map((n) => ({ key: `p:${n}`, label: n, num: true, value: (r) => r.params[n], render: (r) => String(r.params[n]) })),
    ...(ranked.length ? [] : [{ key: "window", label: "Window", num: true }]),
    { key: "objective_value", label: sweep.objective, num: true, render: (r) => num(r.objective_value, 3) },
    { key: "trades", label: "Trades", num: true, value: (r) => r.metrics.total_trades, render: (r) => String(r.metrics.total_trades ?? "—") },
    { key: "ret", label: "Return %", num: true, value: (r) => r.metrics.total_return_pct, render: (r) => num(r.metrics.total_return_pct) },
    { key: "dd", label: "Max DD %", num: true, value: (r) => r.metrics.max_drawdown, render: (r) => num(r.metrics.max_drawdown) },
    { key: "passed", label: "Passes", render: (r) => (r.error ? badge("failed", "bad", r.error)
      : r.passed ? badge("yes", "good") : badge("no", "warn", (r.failed_constraints || []).join("; "))) },
  ];
  clear(box, h("h3", { id: "sw-table-title" }, `Ranked by ${sweep.objective} (${shown.length} shown)`),
    dataTable({ caption: "Ranked combinations", rows: shown, columns, pageSize: 20, sortable: true,
      empty: "No result yet.", rowAttrs: () => ({ class: "sweep-row" }) }));
}

function drawWalkForward(box, sweep) {
  const wf = sweep.walk_forward;
  const chartBox = h("div", { class: "chart short", id: "sw-wf-equity", role: "img",
    "aria-label": "The out-of-sample equity of every window, joined" });
  const f = wf.overfitting;
  const warning = f.warning
    ? h("p", { class: "callout bad", id: "sw-overfit" }, h("strong", {}, "Overfitting warning. "),
      f.message || `out-of-sample / in-sample = ${num(f.ratio)}`)
    : h("p", { class: "callout good", id: "sw-overfit" }, h("strong", {}, "No overfitting warning. "),
      f.message || `out-of-sample / in-sample = ${num(f.ratio)}`);
  const windows = dataTable({ caption: "Walk-forward windows", rows: wf.windows, columns: [
    { key: "index", label: "#", num: true },
    { key: "is", label: "In-sample", render: (w) => `${time(w.in_sample.start)} → ${time(w.in_sample.end)}` },
    { key: "oos", label: "Out-of-sample", render: (w) => `${time(w.out_of_sample.start)} → ${time(w.out_of_sample.end)}` },
    { key: "best", label: "Chosen", render: (w) => paramsText(w.best_params) },
    { key: "in_sample_objective", label: `In-sample ${sweep.objective}`, num: true, render: (w) => num(w.in_sample_objective, 3) },
    { key: "out_of_sample_objective", label: `Out-of-sample ${sweep.objective}`, num: true,
      render: (w) => num(w.out_of_sample_objective, 3) },
  ], rowAttrs: () => ({ class: "wf-window" }) });
  const stability = h("dl", { class: "kv", id: "sw-stability" }, Object.entries(wf.stability).flatMap(([name, s]) => [
    h("dt", {}, name), h("dd", {}, `${s.distinct_values} value(s); ${s.most_frequent} in ${Math.round(
      s.most_frequent_share * 100)} % of windows`
      + (s.coefficient_of_variation === null ? "" : `; variation ${num(s.coefficient_of_variation)}`))]));
  clear(box, h("div", { class: "panel" }, h("h3", {}, "Walk-forward"), warning,
    h("div", { class: "cards" }, Object.entries(wf.out_of_sample_metrics).map(([k, v]) =>
      card(`Out-of-sample ${k.replace(/_/g, " ")}`, num(v)))),
    h("h3", {}, "Stitched out-of-sample equity"), chartBox,
    h("h3", {}, "Windows"), windows, h("h3", {}, "Parameter stability"), stability));
  charts.push(stitchedChart(chartBox, wf.stitched_equity_curve, wf.windows.map((w) => w.out_of_sample.start)));
}

async function drawHistory(box) {
  const list = await attempt(() => api(`/api/backtest/sweeps${query({ limit: 20 })}`));
  clear(box, h("h2", { id: "sw-history-title" }, "Recent sweeps"), dataTable({ caption: "Recent sweeps",
    rows: list ? list.sweeps : [], empty: "No sweep yet.", pageSize: 10, columns: [
      { key: "sweep_id", label: "Sweep", render: (s) => h("a", { href: `#/sweeps/${s.sweep_id}` }, s.sweep_id) },
      { key: "status", label: "Status", render: (s) => badge(s.status) },
      { key: "progress", label: "Runs", num: true, render: (s) => `${s.progress.done} / ${s.progress.total}` },
      { key: "objective", label: "Objective" },
      { key: "created_at", label: "Started", render: (s) => time(s.created_at) },
    ] }));
}
