// Charts with TradingView's Lightweight Charts (window.LightweightCharts, served from the installed wheel).
import { toMs } from "./dom.js";

const seconds = (value) => Math.floor((typeof value === "number" ? value : toMs(value)) / 1000);

function palette() {
  const css = getComputedStyle(document.documentElement);
  const get = (name) => css.getPropertyValue(name).trim();
  return { panel: get("--panel"), text: get("--text"), muted: get("--muted"), border: get("--border"),
    up: get("--up"), down: get("--down"), accent: get("--accent"), warn: get("--warn") };
}

function themed(colors) {
  return {
    layout: { background: { type: "solid", color: colors.panel }, textColor: colors.text,
      fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" },
    grid: { vertLines: { color: colors.border }, horzLines: { color: colors.border } },
    rightPriceScale: { borderColor: colors.border },
    timeScale: { borderColor: colors.border, timeVisible: true, secondsVisible: false },
  };
}

/** A chart that follows the theme and its box's size; `destroy()` removes it and its listeners. Sized at creation
 * (not the library's autoSize, whose first resize would draw everything a second time). `refit`: show the whole
 * series again after a resize (a chart meant to be read whole, not zoomed). */
function baseChart(el, options = {}, { refit = false } = {}) {
  let { width, height } = el.getBoundingClientRect();
  const chart = window.LightweightCharts.createChart(el, { width, height, ...themed(palette()), ...options });
  const retheme = () => chart.applyOptions(themed(palette()));
  const resized = new ResizeObserver(([entry]) => {
    const box = entry.contentRect;
    if (Math.round(box.width) !== Math.round(width) || Math.round(box.height) !== Math.round(height)) {
      ({ width, height } = box);
      chart.resize(width, height);
      if (refit) chart.timeScale().fitContent();
    }
  });
  resized.observe(el);
  window.addEventListener("themechange", retheme);
  return { chart, destroy: () => {
    window.removeEventListener("themechange", retheme);
    resized.disconnect();
    chart.remove();
  } };
}

/** Entry and exit markers, one each per trade, sorted by time as the library needs. */
export function tradeMarkers(trades, colors = palette()) {
  const markers = [];
  trades.forEach((trade, index) => {
    const long = trade.side === "long";
    markers.push({ time: seconds(trade.entry_time), id: `entry-${index}`, shape: long ? "arrowUp" : "arrowDown",
      position: long ? "belowBar" : "aboveBar", color: long ? colors.up : colors.down });
    if (trade.exit_time) {
      markers.push({ time: seconds(trade.exit_time), id: `exit-${index}`, shape: "circle",
        position: long ? "aboveBar" : "belowBar", color: colors.warn });
    }
  });
  return markers.sort((a, b) => a.time - b.time);
}

/** Candles (columns as the candles endpoint sends them) with the trades' entry and exit markers. */
export function candleChart(el, columns, trades) {
  const colors = palette();
  const { chart, destroy } = baseChart(el);
  const series = chart.addCandlestickSeries({ upColor: colors.up, downColor: colors.down, borderVisible: false,
    wickUpColor: colors.up, wickDownColor: colors.down });
  const data = new Array(columns.time.length);
  for (let i = 0; i < data.length; i += 1) {
    data[i] = { time: seconds(columns.time[i]), open: columns.open[i], high: columns.high[i], low: columns.low[i],
      close: columns.close[i] };
  }
  series.setData(data);
  series.setMarkers(tradeMarkers(trades, colors));
  chart.timeScale().fitContent();
  const drawn = series.markers();
  el.dataset.candles = String(data.length);
  el.dataset.entryMarkers = String(drawn.filter((m) => String(m.id).startsWith("entry-")).length);
  el.dataset.exitMarkers = String(drawn.filter((m) => String(m.id).startsWith("exit-")).length);
  return { chart, destroy };
}

/** The equity curve with the drawdown under it (its own scale at the bottom of the same chart). */
export function equityChart(el, curve) {
  const colors = palette();
  const { chart, destroy } = baseChart(el);
  const equity = chart.addLineSeries({ color: colors.accent, lineWidth: 2, title: "equity",
    priceFormat: { type: "price", precision: 2, minMove: 0.01 } });
  equity.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.32 } });
  const drawdown = chart.addBaselineSeries({ priceScaleId: "drawdown", baseValue: { type: "price", price: 0 },
    lineWidth: 1, bottomLineColor: colors.down, bottomFillColor1: "rgba(200, 50, 50, 0.15)",
    bottomFillColor2: "rgba(200, 50, 50, 0.45)", topLineColor: colors.down, topFillColor1: "rgba(0, 0, 0, 0)",
    topFillColor2: "rgba(0, 0, 0, 0)", title: "drawdown %", priceFormat: { type: "percent" } });
  chart.priceScale("drawdown").applyOptions({ scaleMargins: { top: 0.74, bottom: 0 } });
  equity.setData(curve.map((p) => ({ time: seconds(p.time), value: p.equity })));
  drawdown.setData(curve.map((p) => ({ time: seconds(p.time), value: -Math.abs(p.drawdown_pct) })));
  chart.timeScale().fitContent();
  el.dataset.points = String(curve.length);
  return { chart, destroy };
}

/** Several equity curves as returns in %, so different capitals compare. */
export function returnsChart(el, runs) {
  const { chart, destroy } = baseChart(el);
  for (const run of runs) {
    const start = run.initial || (run.curve[0] && run.curve[0].equity) || 1;
    const line = chart.addLineSeries({ color: run.color, lineWidth: 2, title: run.label,
      priceFormat: { type: "percent" } });
    line.setData(run.curve.map((p) => ({ time: seconds(p.time), value: (p.equity / start - 1) * 100 })));
  }
  chart.timeScale().fitContent();
  return { chart, destroy };
}

/** A walk-forward's stitched out-of-sample equity, a marker where each window's out-of-sample part starts. */
export function stitchedChart(el, curve, windowStarts = []) {
  const colors = palette();
  const { chart, destroy } = baseChart(el, {}, { refit: true });
  chart.timeScale().applyOptions({ minBarSpacing: 0.01 });  // years of hourly points fit the width
  const line = chart.addLineSeries({ color: colors.accent, lineWidth: 2, title: "out-of-sample equity",
    priceFormat: { type: "price", precision: 2, minMove: 0.01 } });
  const data = curve.map((p) => ({ time: seconds(p.time), value: p.equity }));
  line.setData(data);
  // A marker sits on a point of the series: the first one at or after the window's start.
  const markers = [];
  windowStarts.forEach((start, i) => {
    const point = data.find((p) => p.time >= seconds(start));
    if (point) markers.push({ time: point.time, id: `window-${i}`, shape: "square", position: "belowBar",
      color: colors.muted, text: `W${i}` });
  });
  line.setMarkers(markers.sort((a, b) => a.time - b.time));
  chart.timeScale().fitContent();
  el.dataset.points = String(data.length);
  el.dataset.windows = String(windowStarts.length);
  return { chart, destroy };
}
