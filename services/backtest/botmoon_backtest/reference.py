"""A deliberately naive, candle-by-candle simulator: the simulation rules as plain Python, for tests.

It shares no code with the engine. For every candle it runs, in order: the signals of the previous
candle when they fill at this open (`next_open`), the TP/SL check of the open position against
this candle's range, the signals of this candle when they fill at their own price, the end of the
data, and the mark to market at the close. It is slow (a Python loop over every candle) and is
the yardstick the fast engine is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class RefTrade:
    """One closed trade of the reference simulator."""

    signal: int
    side: int
    entry_bar: int
    entry_price: float
    size: float
    requested: float
    exit_bar: int = -1
    exit_price: float = math.nan
    reason: str = ""
    exit_signal: int = -1
    fee_in: float = 0.0
    net: float = 0.0


@dataclass
class RefResult:
    """Trades, equity at every close, where trading stopped, and entries skipped for their size."""

    trades: list[RefTrade]
    equity: list[float]
    stopped_at: int | None
    skipped: list[int] = field(default_factory=list)


def reference_simulate(candles, signals, settings, *, size, tp, sl) -> RefResult:
    """Simulate with the rules of docs/backtest-semantics.md, one candle at a time.

    `size` is a number, a list (one per signal) or `f(capital, entry, sl_or_None, side)`;
    `tp`/`sl` are lists of levels per signal (NaN for none), given at the signal's fill price.
    """
    sim = _Reference(candles, signals, settings, size, list(tp), list(sl))
    return sim.run()


class _Reference:
    def __init__(self, candles, signals, settings, size, tp, sl):
        self.o = candles.open.tolist()
        self.h = candles.high.tolist()
        self.lo = candles.low.tolist()
        self.c = candles.close.tolist()
        self.n = len(self.c)
        self.sig_bar = signals.index.tolist()
        self.sig_side = signals.side.tolist()
        self.sig_price = signals.price.tolist()
        self.s = settings
        self.size = size
        self.tp = tp
        self.sl = sl
        self.rate = settings.commission_rate
        self.spot = settings.symbol_type.value == "CRYPTO_SPOT"
        allowed = set(settings.enabled_directions) & ({"long"} if self.spot else {"long", "short"})
        self.enabled = {1: "long" in allowed, -1: "short" in allowed}
        self.next_open = settings.entry_timing.value == "next_open"
        self.equity = settings.initial_capital
        self.pos: RefTrade | None = None
        self.lower = -math.inf
        self.upper = math.inf
        self.check_from = 0
        self.trades: list[RefTrade] = []
        self.skipped: list[int] = []
        self.stopped_at: int | None = None

    def run(self) -> RefResult:
        by_bar: dict[int, list[int]] = {}
        for k, bar in enumerate(self.sig_bar):
            by_bar.setdefault(bar, []).append(k)
        curve = []
        for bar in range(self.n):
            if self.next_open and bar > 0:
                for k in by_bar.get(bar - 1, []):
                    self.act(k, self.o[bar], bar)
            if self.pos is not None and bar >= self.check_from:
                self.intrabar(bar)
            if not self.next_open:
                for k in by_bar.get(bar, []):
                    self.act(k, self.sig_price[k], bar)
            if bar == self.n - 1 and self.pos is not None:
                self.close(self.c[bar], bar, "end", -1)
            mark = self.equity
            if self.pos is not None:
                p = self.pos
                mark = self.equity - p.fee_in + p.side * p.size * (self.c[bar] - p.entry_price)
            if mark <= 0 and self.stopped_at is None:
                if self.pos is not None:
                    self.close(self.c[bar], bar, "liquidation", -1)
                self.stopped_at = bar
                mark = self.equity
            curve.append(mark)
        return RefResult(self.trades, curve, self.stopped_at, self.skipped)

    def act(self, k: int, price: float, bar: int) -> None:
        if self.stopped_at is not None:
            return
        side = self.sig_side[k]
        if self.pos is not None:
            if side == self.pos.side or self.s.opposite_signal.value == "ignore":
                return
            self.close(price, bar, "signal", k)
            if self.equity <= 0:
                self.stopped_at = bar
                return
            if self.s.opposite_signal.value == "close_only":
                return
        if self.enabled[side]:
            self.open(k, price, bar)

    def open(self, k: int, price: float, bar: int) -> None:
        side = self.sig_side[k]
        tp, sl = self.tp[k], self.sl[k]
        tp_ok = math.isfinite(tp) and side * (tp - price) > 0
        sl_ok = math.isfinite(sl) and side * (price - sl) > 0
        if callable(self.size):
            requested = self.size(self.equity, price, sl if sl_ok else None, "long" if side == 1 else "short")
        elif isinstance(self.size, list):
            requested = self.size[k]
        else:
            requested = self.size
        requested = float(requested)
        if not (math.isfinite(requested) and requested > 0):
            self.skipped.append(k)
            return
        if self.spot:
            limit = self.equity / (price * (1 + self.rate))
        else:
            limit = self.equity * self.s.max_leverage / price
        quantity = limit if requested > limit * (1 + 1e-9) else requested
        self.pos = RefTrade(signal=k, side=side, entry_bar=bar, entry_price=price, size=quantity,
                            requested=requested, fee_in=self.rate * quantity * price)
        take = tp if tp_ok else (math.inf if side == 1 else -math.inf)
        stop = sl if sl_ok else (-math.inf if side == 1 else math.inf)
        self.lower, self.upper = (stop, take) if side == 1 else (take, stop)
        self.check_from = self.sig_bar[k] + 1

    def intrabar(self, bar: int) -> None:
        o, h, lo = self.o[bar], self.h[bar], self.lo[bar]
        long = self.pos.side == 1
        if o <= self.lower:
            which, price = "lower", o
        elif o >= self.upper:
            which, price = "upper", o
        elif lo <= self.lower and h >= self.upper:
            sl_first = self.s.both_hit.value == "sl"
            which = "lower" if sl_first == long else "upper"
            price = self.lower if which == "lower" else self.upper
        elif lo <= self.lower:
            which, price = "lower", self.lower
        elif h >= self.upper:
            which, price = "upper", self.upper
        else:
            return
        reason = "sl" if (which == "lower") == long else "tp"
        self.close(price, bar, reason, -1)

    def close(self, price: float, bar: int, reason: str, exit_signal: int) -> None:
        p = self.pos
        gross = p.side * p.size * (price - p.entry_price)
        fee_out = self.rate * p.size * price
        p.net = gross - p.fee_in - fee_out
        p.exit_bar, p.exit_price, p.reason, p.exit_signal = bar, price, reason, exit_signal
        self.equity += p.net
        self.trades.append(p)
        self.pos = None
