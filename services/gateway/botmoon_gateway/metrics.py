"""The gateway's Prometheus metrics: requests, errors (by status) and latency per route; webhook deliveries."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter("botmoon_http_requests_total", "HTTP requests by method, route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("botmoon_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))

WEBHOOK_ATTEMPTS = Counter("botmoon_webhook_attempts_total", "Webhook delivery attempts by outcome.", ["outcome"])
WEBHOOK_DELIVERIES = Counter("botmoon_webhook_deliveries_total",
                             "Webhook deliveries by final outcome (delivered or failed).", ["outcome"])


def observe(scope: dict, status: int, seconds: float) -> None:
    """One answered request. The route is the matched template (`/api/backtest/{id}`), never the raw path."""
    route = getattr(scope.get("route"), "path", None) or "unmatched"
    REQUESTS.labels(scope["method"], route, str(status)).inc()
    LATENCY.labels(scope["method"], route).observe(seconds)
