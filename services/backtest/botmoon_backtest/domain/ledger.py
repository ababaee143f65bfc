"""From planned and sized trades to the reported ones, applying the last rule: equity at or below zero.

The first close at which marked-to-market equity is at or below zero ends trading and closes any
open position at that close (`liquidation`). Whether that can happen at all is first bounded cheaply
from the extreme closes of the data; only when the bound cannot exclude it is the equity curve
built here to find the candle.
"""

from __future__ import annotations

import numpy as np

from botmoon_backtest.domain.accounting import trade_money
from botmoon_backtest.domain.equity import equity_before, mark_to_market
from botmoon_backtest.domain.model import LONG, ExitReason
from botmoon_backtest.domain.plan import Plan
from botmoon_backtest.domain.prepare import Prepared
from botmoon_backtest.domain.results import Trades

# The bound must clear zero by this fraction of equity, so that rounding cannot hide a ruin.
RUIN_MARGIN = 1e-9


def settle(prep: Prepared, plan: Plan, size: np.ndarray, requested: np.ndarray,
           capped: np.ndarray) -> tuple[Trades, np.ndarray | None, int | None]:
    """The trades, the equity per candle if it had to be built, and the candle of ruin (None if none)."""
    close = prep.candles.close
    trades, before = _trades(prep, plan, size, requested, capped)
    if not _may_ruin(trades, before, close):
        return trades, None, None
    equity = _curve(close, before, trades)
    if equity.min() > 0:
        return trades, equity, None
    ruin = int(np.argmax(equity <= 0))
    k = int(np.searchsorted(trades.entry_bar, ruin, side="right")) - 1
    if k >= 0 and trades.exit_bar[k] > ruin:
        plan = plan.head(k + 1)
        plan.exit_bar[k] = ruin
        plan.exit_price[k] = close[ruin]
        plan.exit_reason[k] = ExitReason.LIQUIDATION
        plan.exit_signal[k] = -1
        trades, before = _trades(prep, plan, size[: k + 1], requested[: k + 1], capped[: k + 1])
        equity = _curve(close, before, trades)
    return trades, equity, ruin


def _may_ruin(trades: Trades, before: np.ndarray, close: np.ndarray) -> bool:
    """False when no close can take equity to zero: each trade's worst case at the data's extreme close."""
    if len(trades) == 0:
        return before[0] <= 0
    if before.min() <= 0:
        return True
    worst_close = np.where(trades.side == LONG, close.min(), close.max())
    worst = before[:-1] - trades.entry_fee + trades.side * trades.size * (worst_close - trades.entry_price)
    return bool((worst <= RUIN_MARGIN * before[:-1]).any())


def _curve(close: np.ndarray, before: np.ndarray, trades: Trades) -> np.ndarray:
    return mark_to_market(close, before, trades.entry_bar, trades.exit_bar, trades.side * trades.size,
                          trades.entry_price, trades.entry_fee)


def _trades(prep: Prepared, plan: Plan, size, requested, capped) -> tuple[Trades, np.ndarray]:
    candles = prep.candles
    settings = prep.settings
    signal = plan.signal
    side = prep.side[signal]
    entry_bar = prep.act_bar[signal]
    entry_price = prep.act_price[signal]
    gross, fee_in, fee_out, net = trade_money(side, size, entry_price, plan.exit_price, settings.commission_rate)
    kept = prep.kept
    trades = Trades(
        signal=kept[signal] if prep.dropped else signal,
        side=side,
        entry_bar=entry_bar,
        exit_bar=plan.exit_bar,
        entry_price=entry_price,
        exit_price=plan.exit_price,
        size=size,
        requested_size=requested,
        capped=capped,
        gross_pnl=gross,
        fees=fee_in + fee_out,
        entry_fee=fee_in,
        net_pnl=net,
        return_pct=net / (size * entry_price) * 100.0,
        exit_reason=plan.exit_reason,
        exit_signal=np.where(plan.exit_signal >= 0, kept[plan.exit_signal], -1) if prep.dropped else plan.exit_signal,
        bar_time=candles.time,
    )
    return trades, equity_before(settings.initial_capital, net)
