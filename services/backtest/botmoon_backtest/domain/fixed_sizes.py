"""Sizing a planned sequence of trades whose requested sizes are known in advance, vectorised.

Caps depend on the equity before each trade, which depends on every earlier trade, so the
sizes are found by fixed point: compute all trades uncapped, cap the first that breaks its limit,
recompute. Caps are rare, so this usually takes one pass; when they keep binding, the rest is
done one trade at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from botmoon_backtest.domain.accounting import CAP_TOLERANCE, size_limit, trade_money
from botmoon_backtest.domain.equity import equity_before
from botmoon_backtest.domain.plan import Plan
from botmoon_backtest.domain.prepare import Prepared

_VECTOR_PASSES = 16


@dataclass(frozen=True)
class Sizing:
    """Final sizes, which of them were capped, and how many planned trades happen (equity > 0)."""

    size: np.ndarray
    capped: np.ndarray
    count: int


def size_fixed(prep: Prepared, plan: Plan, requested: np.ndarray) -> Sizing:
    """Apply the notional cap and the equity > 0 rule to trades with known requested sizes."""
    settings = prep.settings
    rate = settings.commission_rate
    side = prep.side[plan.signal]
    entry = prep.act_price[plan.signal]
    size = requested.astype(np.float64, copy=True)
    capped = np.zeros(len(size), dtype=bool)
    start = 0
    for _ in range(_VECTOR_PASSES):
        *_, net = trade_money(side, size, entry, plan.exit_price, rate)
        equity = equity_before(settings.initial_capital, net)[:-1]
        limit = size_limit(equity, entry, settings)
        bad = np.flatnonzero((equity[start:] <= 0) | (size[start:] > limit[start:] * (1 + CAP_TOLERANCE)))
        if len(bad) == 0:
            return Sizing(size, capped, len(size))
        k = start + int(bad[0])
        if equity[k] <= 0:
            return Sizing(size[:k], capped[:k], k)
        size[k] = limit[k]
        capped[k] = True
        start = k + 1
    return _size_one_by_one(prep, plan, size, capped, start)


def _size_one_by_one(prep: Prepared, plan: Plan, size: np.ndarray, capped: np.ndarray, start: int) -> Sizing:
    settings = prep.settings
    rate = settings.commission_rate
    sides = prep.side[plan.signal].tolist()
    entries = prep.act_price[plan.signal].tolist()
    exits = plan.exit_price.tolist()
    sizes = size.tolist()
    *_, net = trade_money(prep.side[plan.signal][:start], size[:start], prep.act_price[plan.signal][:start],
                          plan.exit_price[:start], rate)
    equity = float(equity_before(settings.initial_capital, net)[-1])
    for k in range(start, len(sizes)):
        if equity <= 0:
            return Sizing(np.array(sizes[:k]), capped[:k], k)
        limit = size_limit(equity, entries[k], settings)
        if sizes[k] > limit * (1 + CAP_TOLERANCE):
            sizes[k] = limit
            capped[k] = True
        *_, trade_net = trade_money(sides[k], sizes[k], entries[k], exits[k], rate)
        equity += trade_net
    return Sizing(np.array(sizes), capped, len(sizes))
