"""The metrics a sweep can rank by or constrain: the keys of a backtest's `metrics` object.

The backtest engine (botmoon_backtest.domain.metrics.compute_metrics) is the source; the gateway does not ship
that package, so the names are listed here once and tests/test_sweep_metric_names.py checks them against it.
"""

METRICS: tuple[str, ...] = (
    "initial_capital", "final_equity", "total_return", "total_return_pct", "cagr",
    "max_drawdown", "longest_drawdown_bars", "longest_drawdown_hours",
    "total_trades", "winning_trades", "losing_trades", "breakeven_trades", "long_trades", "short_trades",
    "win_rate", "profit_factor", "avg_trade", "avg_win", "avg_loss", "expectancy",
    "best_trade", "worst_trade", "best_trade_pct", "worst_trade_pct", "avg_trade_duration_hours", "sqn",
    "sharpe_ratio", "sortino_ratio", "calmar_ratio", "exposure_pct", "fees_paid", "buy_and_hold_return_pct",
)

# Smaller is better for these; every other metric is better when larger (avg_loss and worst_trade are negative
# numbers, so larger, nearer zero, is better).
LOWER_IS_BETTER: frozenset[str] = frozenset({
    "max_drawdown", "longest_drawdown_bars", "longest_drawdown_hours", "losing_trades", "fees_paid",
})

DEFAULT_OBJECTIVE = "sharpe_ratio"


def default_maximize(metric: str) -> bool:
    """Whether a larger value of `metric` is better (the sweep's default direction)."""
    return metric not in LOWER_IS_BETTER
