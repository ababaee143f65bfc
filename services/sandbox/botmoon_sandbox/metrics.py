"""The sandbox's own Prometheus metrics (RPC metrics come from botmoon_common.metrics)."""

from prometheus_client import Counter, Gauge

POOL_IDLE = Gauge("botmoon_sandbox_pool_idle_containers", "Warm containers waiting in the pool.")
CONTAINER_STARTS = Counter("botmoon_sandbox_container_starts_total", "Sandbox containers started (pool or cold).")
EXECUTIONS = Counter("botmoon_sandbox_executions_total", "Runs judged, by status (a session counts each call).",
                     ["status"])
KILLS = Counter("botmoon_sandbox_kills_total", "Containers killed at a limit, by reason: timeout, memory, output, "
                "pids, signal.", ["reason"])
