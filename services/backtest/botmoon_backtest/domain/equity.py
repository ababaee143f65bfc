"""Equity from trades: realised after each trade, and marked to market at every close."""

from __future__ import annotations

import numpy as np

from botmoon_backtest.domain.pieces import chunks, segment_edges


def equity_before(initial: float, net: np.ndarray) -> np.ndarray:
    """Realised equity before each trade plus the final one (len + 1), summed left to right."""
    out = np.empty(len(net) + 1)
    out[0] = initial
    out[1:] = net
    return np.cumsum(out)


def mark_to_market(close: np.ndarray, before: np.ndarray, entry_bar: np.ndarray, exit_bar: np.ndarray,
                   exposure: np.ndarray, entry_price: np.ndarray, fee_in: np.ndarray) -> np.ndarray:
    """Equity at every close, built per segment as `exposure * close + intercept`.

    A trade is open at the closes [entry_bar, exit_bar); between trades equity is the realised
    `before[k]`. `exposure` is side x size.
    """
    edges = segment_edges(entry_bar, exit_bar, len(close))
    intercept = np.empty(len(edges) - 1)
    slope = np.zeros(len(edges) - 1)
    intercept[0::2] = before
    intercept[1::2] = before[:-1] - fee_in - exposure * entry_price
    slope[1::2] = exposure
    equity = np.empty(len(close))
    for a, b, segments, lengths in chunks(edges):
        out = equity[a:b]
        np.multiply(close[a:b], np.repeat(slope[segments], lengths), out=out)
        out += np.repeat(intercept[segments], lengths)
    return equity
