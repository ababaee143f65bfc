"""Money rules shared by both simulation paths: the notional cap and a trade's fees and PnL."""

from __future__ import annotations

from botmoon_backtest.domain.model import SimulationSettings, SymbolType

# A size above its cap by less than this (relative) is float noise from sizing at exactly the cap.
CAP_TOLERANCE = 1e-9


def size_limit(equity, price, settings: SimulationSettings):
    """The largest size allowed at `equity` and entry `price` (scalars or arrays).

    Futures: notional <= equity x max_leverage. Spot: notional plus the entry commission <= equity,
    since a spot account cannot spend cash it does not have.
    """
    if settings.symbol_type is SymbolType.CRYPTO_SPOT:
        return equity / (price * (1.0 + settings.commission_rate))
    return equity * settings.max_leverage / price


def trade_money(side, size, entry_price, exit_price, rate):
    """(gross PnL, entry fee, exit fee, net PnL) for scalars or arrays, in one fixed order of operations."""
    gross = side * size * (exit_price - entry_price)
    fee_in = rate * size * entry_price
    fee_out = rate * size * exit_price
    net = gross - fee_in - fee_out
    return gross, fee_in, fee_out, net
