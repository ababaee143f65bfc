"""The sandbox's own Prometheus metrics (RPC metrics come from botmoon_common.metrics)."""

from prometheus_client import Counter, Gauge

POOL_IDLE = Gauge("botmoon_sandbox_pool_idle_containers", "Warm containers waiting in the pool, every flavour.")
POOL_WARM = Gauge("botmoon_sandbox_pool_warm_containers", "Warm containers waiting, by flavour.", ["flavour"])
POOL_STARTING = Gauge("botmoon_sandbox_pool_starting_containers", "Containers the pool is starting, by flavour.",
                      ["flavour"])
POOL_TARGET = Gauge("botmoon_sandbox_pool_target_containers", "Warm or starting containers a flavour's pool aims "
                    "at: its demand, held between its min and max and within the pool's budget.", ["flavour"])
POOL_DEMAND = Gauge("botmoon_sandbox_pool_demand_per_second", "Acquisitions per second by flavour, exponentially "
                    "decayed (SANDBOX_POOL_DEMAND_HALF_LIFE_S).", ["flavour"])
POOL_ACQUISITIONS = Counter("botmoon_sandbox_pool_acquisitions_total", "Containers taken for a run, by flavour and "
                            "source: warm (idle in the pool), starting (one the pool was starting), cold.",
                            ["flavour", "source"])
POOL_EXPIRED = Counter("botmoon_sandbox_pool_expired_total", "Idle containers removed unused, by flavour and reason: "
                       "surplus (beyond the target), stale (past SANDBOX_IDLE_TTL_S).", ["flavour", "reason"])
CONTAINER_STARTS = Counter("botmoon_sandbox_container_starts_total", "Sandbox containers started (pool or cold).")
EXECUTIONS = Counter("botmoon_sandbox_executions_total", "Runs judged, by status (a session counts each call).",
                     ["status"])
KILLS = Counter("botmoon_sandbox_kills_total", "Containers killed at a limit, by reason: timeout, memory, output, "
                "pids, signal.", ["reason"])
