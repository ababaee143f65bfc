"""The backtest service's own Prometheus metrics (RPC metrics come from botmoon_common.metrics)."""

import functools
import time

import grpc
from prometheus_client import Counter, Histogram

BACKTESTS = Counter("botmoon_backtests_total",
                    "Backtests by outcome: success, failed (the strategy failed), invalid (bad request), error.",
                    ["outcome"])
DURATION = Histogram("botmoon_backtest_duration_seconds", "Wall time of one backtest, by outcome.", ["outcome"],
                     buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))


def observe_backtest(run):
    """Counts and times each call of the servicer's Run by its outcome."""

    @functools.wraps(run)
    async def observed(self, request, context):
        started = time.perf_counter()
        outcome = "error"
        try:
            response = await run(self, request, context)
            outcome = "success" if response.success else "failed"
            return response
        except BaseException:
            if context.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                                  grpc.StatusCode.OUT_OF_RANGE):
                outcome = "invalid"
            raise
        finally:
            BACKTESTS.labels(outcome).inc()
            DURATION.labels(outcome).observe(time.perf_counter() - started)

    return observed
