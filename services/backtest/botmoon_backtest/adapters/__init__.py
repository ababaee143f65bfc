"""Outside systems the backtest talks to: the sandbox (strategy sessions) and market data."""
