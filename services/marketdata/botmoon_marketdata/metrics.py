"""Market data's own Prometheus metrics (RPC metrics come from botmoon_common.metrics)."""

from prometheus_client import Counter

CANDLES_SERVED = Counter("botmoon_marketdata_candles_served_total",
                         "Candles sent to callers, by source: exchange, store, bundled.", ["source"])
