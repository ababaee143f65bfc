// The market and timeframe pickers of the backtest and sweep forms: the symbols market data serves, and for
// the chosen one the timeframes it has.
import { api } from "./api.js";
import { h } from "./dom.js";
import { attempt } from "./notice.js";

const key = (s) => `${s.exchange}|${s.symbol}|${s.type}`;

export async function marketPicker(prefix) {
  const symbols = await attempt(() => api("/api/backtest/symbols")) || { symbols: [], timeframes: ["1h"] };
  const market = h("select", { id: `${prefix}-symbol` }, symbols.symbols.map((s) => h("option",
    { value: key(s) }, `${s.symbol} · ${s.exchange} · ${s.type.replace("CRYPTO_", "")}`)));
  const timeframe = h("select", { id: `${prefix}-timeframe` });
  const fillTimeframes = () => {
    const chosen = symbols.symbols.find((s) => key(s) === market.value);
    const list = chosen && chosen.timeframes.length ? chosen.timeframes : symbols.timeframes;
    const keep = timeframe.value || "1h";
    timeframe.replaceChildren(...list.map((tf) => h("option", { value: tf, selected: tf === keep }, tf)));
  };
  market.addEventListener("change", fillTimeframes);
  fillTimeframes();
  // The backtest_config fields the two pickers set.
  const chosen = () => {
    const [exchange, symbol, type] = market.value.split("|");
    return { exchange, symbol, symbol_type: type, timeframe: timeframe.value };
  };
  return { market, timeframe, chosen };
}
