"""What the MCP server tells a chat: the strategy contract, the workflow and the rules, written for the model."""

CONTRACT = """\
A Botmoon strategy is one Python class (any name) with these methods:
- __init__(self, params=None): read parameters with params.get("name", default) (the deploy registers
  them from these calls).
- generate_signals(self, data) -> {"signals": [{"time": t, "type": "long"|"short", "price": p}, ...]}:
  data is a pandas DataFrame, columns open, high, low, close, volume, a UTC DatetimeIndex, oldest first.
  time is an index value of data (the candle the signal belongs to); price is the entry price and
  must lie within that candle's low-high (its close is the usual choice). Compute every signal from
  data up to and including its own candle: never look ahead (shift(-1), future rows).
- calculate_tp_sl_levels(self, entry_price, side) -> (tp_price, sl_price): side is "long" or "short";
  None for no level.
- calculate_position_size(self, capital, entry_price, sl_price, side) -> quantity (optional; without it
  each trade risks 2 % of the capital: capital * 0.02 / |entry - sl|).
What the engine does for you: it fetches the candles, calls your methods in a sandbox, fills each
signal at its price at the candle's close, holds one position at a time (an opposite signal reverses
it), checks TP/SL from the next candle on, charges commission on every fill, closes what is open on
the last candle, and computes every metric. You never place orders, loop over candles for fills or
compute equity yourself.
Allowed imports: numpy, pandas, math, statistics, datetime and other pure standard modules. Blocked:
os, sys, subprocess, socket, file and network access, eval/exec/open/compile. No network inside the
sandbox; stdout is captured."""

INSTRUCTIONS = f"""\
Botmoon backtests and runs trading strategies written by you, in a locked-down sandbox, on real
exchange candles. Workflow: get_strategy_template -> write code -> validate_strategy (fix every error:
each names line, column and rule) -> run_backtest (read metrics and warnings; improve) -> deploy_strategy
-> start_strategy -> console_status -> stop_strategy. list_markets tells which symbols and timeframes
have candles.

{CONTRACT}"""

PROMPT = f"""\
Write a Botmoon trading strategy: $idea
Market: $symbol on the $timeframe timeframe.

Rules:
{CONTRACT}

Steps: start from the template (tool get_strategy_template or resource botmoon://strategy/template),
keep the class shape, put tunable numbers in params with defaults, validate with validate_strategy
and fix every error it names (line, column, rule), then run_backtest on $symbol $timeframe and
report total_return_pct, max_drawdown, win_rate, total_trades and any warnings. Only then deploy."""
