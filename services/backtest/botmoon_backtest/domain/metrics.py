"""Performance metrics from the trades and the marked-to-market equity (definitions: docs/backtest-semantics.md).

Every value is a finite number or None; a None always comes with a warning that gives the reason.
Money is in the quote currency, percentages are in percent (12.5 means 12.5 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from botmoon_backtest.domain.model import LONG, Candles
from botmoon_backtest.domain.results import SimulationResult, Trades

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
PERIODS_PER_YEAR = 365
DAYS_PER_YEAR = 365.25
# A standard deviation of daily returns below this is rounding noise of returns that do not vary.
FLAT_RETURNS = 1e-14
# A trade whose net PnL is within this fraction of its entry notional is break-even (float noise).
BREAK_EVEN_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Metrics:
    """Metric name -> value (None when undefined), and the reasons for the Nones."""

    values: dict[str, float | int | None]
    warnings: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # null metric -> why


def drawdown_pct(equity: np.ndarray, initial_capital: float) -> np.ndarray:
    """Percent below the running peak at every close (>= 0); the peak starts at the initial capital."""
    peak = np.maximum.accumulate(equity)
    np.maximum(peak, initial_capital, out=peak)
    return (peak - equity) / peak * 100.0


def compute_metrics(result: SimulationResult, candles: Candles, *, risk_free_rate: float = 0.0) -> Metrics:
    """All metrics of one simulation; `risk_free_rate` is annual (0.02 = 2 %) for Sharpe and Sortino."""
    values: dict[str, float | int | None] = {}
    reasons: dict[str, str] = {}
    initial = result.initial_capital
    equity = result.equity
    final = result.final_equity
    drawdown = drawdown_pct(equity, initial)
    values["initial_capital"] = initial
    values["final_equity"] = final
    values["total_return"] = final - initial
    values["total_return_pct"] = (final - initial) / initial * 100.0
    values["cagr"] = _cagr(initial, final, candles, reasons)
    values["max_drawdown"] = float(drawdown.max())
    bars, hours = _longest_drawdown(drawdown, candles.time)
    values["longest_drawdown_bars"] = bars
    values["longest_drawdown_hours"] = hours
    values.update(_trade_metrics(result.trades, reasons))
    daily = daily_returns(equity, candles.time, initial)
    values["sharpe_ratio"] = _sharpe(daily, risk_free_rate, reasons)
    values["sortino_ratio"] = _sortino(daily, risk_free_rate, reasons)
    values["calmar_ratio"] = _calmar(values["cagr"], values["max_drawdown"], reasons)
    held = int((result.trades.exit_bar - result.trades.entry_bar).sum())
    values["exposure_pct"] = held / len(candles) * 100.0
    values["fees_paid"] = float(result.trades.fees.sum())
    values["buy_and_hold_return_pct"] = (float(candles.close[-1]) / float(candles.open[0]) - 1.0) * 100.0
    return _finite(values, reasons)


def daily_returns(equity: np.ndarray, time_ms: np.ndarray, initial_capital: float) -> np.ndarray:
    """Returns between the equity at the last close of consecutive UTC days (of the candle's timestamp).

    The first day's return is against the initial capital. Days after equity reached zero are left out.
    """
    day = time_ms // DAY_MS
    last_of_day = np.flatnonzero(np.append(day[1:] != day[:-1], True))
    closes = equity[last_of_day]
    previous = np.concatenate(([initial_capital], closes[:-1]))
    alive = np.flatnonzero(previous <= 0)
    if len(alive):
        closes, previous = closes[: alive[0]], previous[: alive[0]]
    return closes / previous - 1.0


def _cagr(initial: float, final: float, candles: Candles, reasons: dict[str, str]) -> float | None:
    span_ms = int(candles.time[-1] - candles.time[0]) + candles.bar_ms
    if span_ms <= 0:
        reasons["cagr"] = "the data spans no time (one candle)"
        return None
    if final <= 0:
        reasons["cagr"] = "final equity is at or below zero"
        return None
    years = span_ms / (DAYS_PER_YEAR * DAY_MS)
    exponent = math.log(final / initial) / years
    if exponent > math.log(1e12):
        reasons["cagr"] = f"too large to report: {final / initial:.6g}x in {span_ms / DAY_MS:.3g} days"
        return None
    return (math.exp(exponent) - 1.0) * 100.0


def _longest_drawdown(drawdown: np.ndarray, time_ms: np.ndarray) -> tuple[int, float]:
    """(candles, hours) from the close that set a peak to the close that regained it (or the last one)."""
    under = drawdown > 0
    if not under.any():
        return 0, 0.0
    flips = np.flatnonzero(np.diff(np.concatenate(([False], under, [False])).astype(np.int8)))
    starts, ends = flips[0::2], flips[1::2]
    peak_at = np.maximum(starts - 1, 0)
    recovered_at = np.minimum(ends, len(drawdown) - 1)
    k = int(np.argmax(recovered_at - peak_at))
    bars = int(recovered_at[k] - peak_at[k])
    return bars, float(time_ms[recovered_at[k]] - time_ms[peak_at[k]]) / HOUR_MS


def _trade_metrics(trades: Trades, reasons: dict[str, str]) -> dict[str, float | int | None]:
    net = trades.net_pnl
    count = len(trades)
    notional = np.abs(trades.size * trades.entry_price)
    tolerance = BREAK_EVEN_TOLERANCE * notional
    wins = net > tolerance
    losses = net < -tolerance
    n_win, n_loss = int(wins.sum()), int(losses.sum())
    out: dict[str, float | int | None] = {
        "total_trades": count,
        "winning_trades": n_win,
        "losing_trades": n_loss,
        "breakeven_trades": count - n_win - n_loss,
        "long_trades": int((trades.side == LONG).sum()),
        "short_trades": int((trades.side != LONG).sum()),
    }
    decisive = n_win + n_loss
    out["win_rate"] = n_win / decisive * 100.0 if decisive else None
    if not decisive:
        reasons["win_rate"] = "no winning or losing trades"
    gains, pains = float(net[wins].sum()), float(net[losses].sum())
    out["profit_factor"] = gains / -pains if n_loss else None
    if not n_loss:
        reasons["profit_factor"] = "no losing trades: gross loss is zero"
    out["avg_trade"] = float(net.mean()) if count else None
    out["avg_win"] = float(net[wins].mean()) if n_win else None
    out["avg_loss"] = float(net[losses].mean()) if n_loss else None
    out["expectancy"] = (gains + pains) / decisive if decisive else None
    out["best_trade"] = float(net.max()) if count else None
    out["worst_trade"] = float(net.min()) if count else None
    out["best_trade_pct"] = float(trades.return_pct.max()) if count else None
    out["worst_trade_pct"] = float(trades.return_pct.min()) if count else None
    durations = (trades.exit_time - trades.entry_time) / HOUR_MS
    out["avg_trade_duration_hours"] = float(durations.mean()) if count else None
    for name in ("avg_trade", "best_trade", "worst_trade", "best_trade_pct", "worst_trade_pct",
                 "avg_trade_duration_hours"):
        if not count:
            reasons[name] = "no trades"
    if not n_win:
        reasons["avg_win"] = "no winning trades"
    if not n_loss:
        reasons["avg_loss"] = "no losing trades"
    if not decisive:
        reasons["expectancy"] = "no winning or losing trades"
    out["sqn"] = None
    if count < 2:
        reasons["sqn"] = "fewer than two trades"
    else:
        spread = float(net.std(ddof=1))
        if spread > 0:
            out["sqn"] = math.sqrt(count) * float(net.mean()) / spread
        else:
            reasons["sqn"] = "every trade has the same PnL"
    return out


def _sharpe(daily: np.ndarray, risk_free_rate: float, reasons: dict[str, str]) -> float | None:
    if len(daily) < 2:
        reasons["sharpe_ratio"] = "fewer than two daily returns"
        return None
    spread = float(daily.std(ddof=1))
    if spread <= FLAT_RETURNS:
        reasons["sharpe_ratio"] = "daily returns do not vary"
        return None
    excess = daily - risk_free_rate / PERIODS_PER_YEAR
    return float(excess.mean()) / spread * math.sqrt(PERIODS_PER_YEAR)


def _sortino(daily: np.ndarray, risk_free_rate: float, reasons: dict[str, str]) -> float | None:
    if len(daily) < 2:
        reasons["sortino_ratio"] = "fewer than two daily returns"
        return None
    excess = daily - risk_free_rate / PERIODS_PER_YEAR
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    if downside == 0:
        reasons["sortino_ratio"] = "no daily return below the risk-free rate"
        return None
    return float(excess.mean()) / downside * math.sqrt(PERIODS_PER_YEAR)


def _calmar(cagr: float | None, max_drawdown: float, reasons: dict[str, str]) -> float | None:
    if cagr is None:
        reasons["calmar_ratio"] = "CAGR is undefined"
        return None
    if max_drawdown == 0:
        reasons["calmar_ratio"] = "no drawdown"
        return None
    return cagr / max_drawdown


def _finite(values: dict[str, float | int | None], reasons: dict[str, str]) -> Metrics:
    for name, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            values[name] = None
            reasons.setdefault(name, "the value is not a finite number")
    null = {name: reason for name, reason in reasons.items() if values.get(name) is None}
    return Metrics(values=values, warnings=[f"{name} is null: {reason}" for name, reason in null.items()],
                   reasons=null)
