"""Sandbox settings, every limit from a SANDBOX_ environment variable with a safe default."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from botmoon_common.settings import ServiceSettings
from botmoon_runner.protocol import head_limit
from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.domain.pool_sizing import Bounds


class SandboxSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    port: int = 50051
    metrics_port: int = Field(9101, ge=0, le=65535, description="Prometheus /metrics; 0 disables")
    runner_image: str = "botmoon/sandbox-runner:latest"
    runtime: str = Field("runc", pattern=r"^[A-Za-z0-9_.-]+$",
                         description="container runtime of user code: runc, or runsc (gVisor); the start-up "
                         "probes refuse to serve unless it is the one in force")
    user: str = "65534:65534"

    wall_time_s: float = Field(10.0, gt=0)
    session_time_s: float = Field(300.0, gt=0, description="wall time of a whole strategy session")
    memory_mb: int = Field(512, ge=32)
    cpus: float = Field(1.0, gt=0)
    pids_limit: int = Field(64, ge=8)
    max_output_bytes: int = Field(1 << 20, ge=1024)
    tmpfs_mb: int = Field(16, ge=1)
    nofile: int = Field(64, ge=16)
    fsize_mb: int = Field(16, ge=1)
    max_code_bytes: int = Field(256 * 1024, ge=1024)
    max_session_reply_bytes: int = Field(64 << 20, ge=1 << 20,
                                         description="largest value (JSON) a strategy call may return")

    pool_size: int = Field(6, ge=0, description="the most warm containers kept over every flavour (idle or "
                           "starting): the pool's memory budget; 0 = a cold start per request")
    # Each flavour's pool (SANDBOX_POOL_<FLAVOUR>_MIN/_MAX) keeps between its min and max warm, by demand.
    pool_stdlib_min: int = Field(1, ge=0)
    pool_stdlib_max: int = Field(4, ge=0)
    pool_numpy_min: int = Field(0, ge=0)
    pool_numpy_max: int = Field(2, ge=0)
    pool_numpy_pandas_min: int = Field(1, ge=0)
    pool_numpy_pandas_max: int = Field(4, ge=0)
    pool_demand_half_life_s: float = Field(30.0, gt=0, description="how fast a flavour's demand (its rate of "
                                           "acquisitions) forgets: the pool shrinks back to its min about this "
                                           "long after the traffic stopped, times a few")
    pool_name: str = Field("default", pattern=r"^[a-zA-Z0-9_.-]+$")
    idle_ttl_s: float = Field(900.0, gt=0)
    max_concurrent: int = Field(4, ge=1)
    queue_size: int = Field(16, ge=0)
    reap_interval_s: float = Field(30.0, gt=0)
    start_timeout_s: float = Field(30.0, gt=0)
    engine_recheck_s: float = Field(10.0, gt=0, description="how often a ready service re-checks its engine "
                                    "and runner image; NOT_SERVING while either is gone")
    max_connection_age_s: float = Field(0.0, ge=0, description="clients reconnect (and re-resolve DNS, finding "
                                        "new replicas) after this long; 0 = never")
    max_connection_age_grace_s: float = Field(330.0, ge=0, description="time calls in flight get to finish then")

    @model_validator(mode="after")
    def _bounds_ordered(self) -> "SandboxSettings":
        self.pool_bounds()
        return self

    def pool_bounds(self) -> dict[Flavour, Bounds]:
        """Each flavour's min and max warm containers (raises when a min exceeds its max)."""
        return {f: Bounds(getattr(self, f"pool_{f.setting_name}_min"), getattr(self, f"pool_{f.setting_name}_max"))
                for f in Flavour}

    @property
    def stream_bytes(self) -> int:
        """Cap of a container's stderr kept per call (diagnostics and raw writes): beyond it, the output limit
        kills the container. The same size as the largest reply head."""
        return head_limit(self.max_output_bytes)
