"""Botmoon backtest engine: simulation, metrics and signal normalisation, pure and fast."""
