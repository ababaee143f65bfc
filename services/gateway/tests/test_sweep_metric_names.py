"""The gateway's list of metric names is the engine's: every key compute_metrics returns, nothing else."""

from botmoon_backtest.domain import SimulationSettings, compute_metrics, simulate
from botmoon_backtest.testing import candles_of, signals_of
from botmoon_gateway.sweeps.metric_names import LOWER_IS_BETTER, METRICS, default_maximize


def test_names_match_the_engine():
    assert set(METRICS) == set(_engine_metric_keys())
    assert len(METRICS) == len(set(METRICS))
    assert set(LOWER_IS_BETTER) <= set(METRICS)
    assert default_maximize("sharpe_ratio") and not default_maximize("max_drawdown")


def _engine_metric_keys() -> list[str]:
    candles = candles_of([(100, 110, 95, 105), (105, 112, 100, 108), (108, 109, 90, 92)], step_ms=86_400_000)
    result = simulate(candles, signals_of([(0, "long", 100)]), SimulationSettings(initial_capital=10_000), size=1.0)
    return list(compute_metrics(result, candles).values)
