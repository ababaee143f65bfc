"""The engine's outputs: trades as columns of numpy arrays, signal counts, and the simulation result."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from botmoon_backtest.domain.equity import equity_before, mark_to_market
from botmoon_backtest.domain.model import EXIT_REASON_NAMES, SIDE_NAMES


@dataclass(frozen=True)
class Trades:
    """Closed trades as columns; `to_records` gives the JSON-ready list.

    `signal`/`exit_signal` are positions in the given signals (-1: no closing signal); bars are
    candle positions; `bar_time` is the candles' time column, for `entry_time`/`exit_time`.
    """

    signal: np.ndarray
    side: np.ndarray
    entry_bar: np.ndarray
    exit_bar: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    size: np.ndarray
    requested_size: np.ndarray
    capped: np.ndarray
    gross_pnl: np.ndarray
    fees: np.ndarray
    entry_fee: np.ndarray
    net_pnl: np.ndarray
    return_pct: np.ndarray
    exit_reason: np.ndarray
    exit_signal: np.ndarray
    bar_time: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.side)

    @cached_property
    def entry_time(self) -> np.ndarray:
        """Open time (epoch ms) of each trade's entry candle."""
        return self.bar_time[self.entry_bar]

    @cached_property
    def exit_time(self) -> np.ndarray:
        """Open time (epoch ms) of each trade's exit candle."""
        return self.bar_time[self.exit_bar]

    def to_records(self) -> list[dict]:
        """One dict per trade with plain Python values, times as epoch ms."""
        names = [name for name in self.__dataclass_fields__ if name != "bar_time"] + ["entry_time", "exit_time"]
        columns = {name: getattr(self, name).tolist() for name in names}
        records = []
        for k in range(len(self)):
            capped = columns["capped"][k]
            records.append({
                "side": SIDE_NAMES[columns["side"][k]],
                "entry_time": columns["entry_time"][k],
                "exit_time": columns["exit_time"][k],
                "entry_price": columns["entry_price"][k],
                "exit_price": columns["exit_price"][k],
                "size": columns["size"][k],
                "exit_reason": EXIT_REASON_NAMES[columns["exit_reason"][k]],
                "gross_pnl": columns["gross_pnl"][k],
                "fees": columns["fees"][k],
                "net_pnl": columns["net_pnl"][k],
                "return_pct": columns["return_pct"][k],
                "size_capped": capped,
                "requested_size": columns["requested_size"][k],
                "note": _cap_note(columns["requested_size"][k], columns["size"][k]) if capped else None,
                "entry_bar": columns["entry_bar"][k],
                "exit_bar": columns["exit_bar"][k],
            })
        return records


def _cap_note(requested: float, size: float) -> str:
    return f"size {requested:.10g} capped to {size:.10g} by the notional limit"


@dataclass(frozen=True)
class SignalStats:
    """What became of the signals: entries, closes, and the ignored ones by reason."""

    total: int
    entered: int
    closed_position: int
    disabled_direction: int
    skipped_size: int
    ignored: int


@dataclass
class SimulationResult:
    """Trades, warnings and signal counts; the equity at every close is built on first use.

    `close` are the candles' closes the equity is marked to; `stopped_at_bar` is the candle at
    which equity reached zero and trading stopped (None if it never did); `built_equity` holds the
    curve once built (the simulation builds it itself when it had to look for that candle).
    """

    trades: Trades
    initial_capital: float
    close: np.ndarray
    warnings: list[str] = field(default_factory=list)
    signal_stats: SignalStats | None = None
    stopped_at_bar: int | None = None
    built_equity: np.ndarray | None = field(default=None, repr=False)

    @property
    def equity(self) -> np.ndarray:
        """Equity marked to market at every close (one value per candle)."""
        if self.built_equity is None:
            t = self.trades
            before = equity_before(self.initial_capital, t.net_pnl)
            self.built_equity = mark_to_market(self.close, before, t.entry_bar, t.exit_bar, t.side * t.size,
                                               t.entry_price, t.entry_fee)
        return self.built_equity

    @property
    def final_equity(self) -> float:
        """Equity after the last close: the initial capital plus every trade's net PnL."""
        return float(equity_before(self.initial_capital, self.trades.net_pnl)[-1])
