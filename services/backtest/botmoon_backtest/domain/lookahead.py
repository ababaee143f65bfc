"""Lookahead detection: signals computed on all candles against those computed on a prefix."""

import numpy as np

from botmoon_backtest.domain.model import SIDE_NAMES, Signals

MAX_CUTS = 12
MIN_PREFIX = 30


def lookahead_cuts(signals: Signals, candles: int) -> list[int]:
    """Prefix lengths to re-run on: just after a sample of signals (so each sampled signal sits on the
    prefix's last candle, where a look into the future shows), plus a few evenly spread cuts."""
    after_signals = np.unique(signals.index + 1)
    after_signals = after_signals[(after_signals >= MIN_PREFIX) & (after_signals < candles)]
    if len(after_signals) > MAX_CUTS:
        after_signals = after_signals[np.linspace(0, len(after_signals) - 1, MAX_CUTS).astype(int)]
    spread = np.linspace(max(MIN_PREFIX, candles // 2), candles - 1, 4).astype(int) if candles > MIN_PREFIX else []
    return sorted({int(c) for c in (*after_signals.tolist(), *list(spread))})


def compare_signals(full: Signals, prefix: Signals, cut: int, time_ms: np.ndarray) -> list[dict]:
    """Signals before `cut` that differ between the full run and the prefix run."""
    def keyed(s: Signals) -> dict:
        keep = s.index < cut
        return {(int(i), int(d)): float(p) for i, d, p in zip(s.index[keep], s.side[keep], s.price[keep],
                                                               strict=True)}

    a, b = keyed(full), keyed(prefix)
    found = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            change = "vanishes"
        elif key not in a:
            change = "appears"
        elif not np.isclose(a[key], b[key], rtol=1e-9, atol=0):
            change = "changes price"
        else:
            continue
        found.append({"time": int(time_ms[key[0]]), "type": SIDE_NAMES[key[1]], "change": change,
                      "data_until": int(time_ms[cut - 1])})
    return found
