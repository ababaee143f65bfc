"""Gateway settings from GATEWAY_ variables; peers as <PEER>_ADDR."""

import ipaddress

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from botmoon_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 37674
    host: str = Field("127.0.0.1", description="address to listen on; beyond loopback it needs API keys or "
                                               "open_access")
    bind: str = Field("", description="the address clients reach the gateway on when that is not `host`, e.g. the "
                                      "host side of compose's port mapping; the open-access check uses it")
    open_access: bool = Field(False, description="serve without API keys although reachable beyond loopback")
    allowed_hosts: str = Field("", description="comma-separated Host header names admitted besides localhost and "
                                               "IP addresses; '*.example.com' a domain's names, '*' any")
    mcp_allowed_origins: str = Field("", description="comma-separated browser origins admitted at /mcp besides local "
                                                     "ones and the gateway's own, e.g. https://claude.ai; '*' any")
    dns_min_interval_s: float = Field(2.0, ge=0, description="least time between two DNS resolutions of a backend's "
                                                             "name (dns:/// addresses: how soon replicas are found)")
    database_url: str = Field("sqlite:///./botmoon.db", description="SQLite (one host) or PostgreSQL "
                              "(postgresql://user:password@host/db: gateway replicas share it)")
    database_migrate: bool = Field(True, description="upgrade the database schema on start; false: refuse to start "
                                                     "on a schema older than this gateway's")
    database_pool_size: int = Field(5, ge=1, description="PostgreSQL connections each gateway keeps open")
    database_max_overflow: int = Field(10, ge=0, description="PostgreSQL connections opened beyond the pool at peaks")
    sandbox_addr: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("SANDBOX_ADDR", "GATEWAY_SANDBOX_ADDR"))
    marketdata_addr: str = Field("127.0.0.1:50052",
                                 validation_alias=AliasChoices("MARKETDATA_ADDR", "GATEWAY_MARKETDATA_ADDR"))
    backtest_addr: str = Field("127.0.0.1:50053",
                               validation_alias=AliasChoices("BACKTEST_ADDR", "GATEWAY_BACKTEST_ADDR"))
    backtest_timeout_s: float = Field(600.0, gt=0, description="deadline of one backtest")
    grpc_timeout_s: float = Field(60.0, gt=0)
    health_timeout_s: float = Field(1.0, gt=0, description="deadline of each backend's health check in /ready")
    ready_backends: str = Field("sandbox", pattern=r"^\s*((sandbox|marketdata|backtest)\s*(,\s*|$))*$",
                                description="comma-separated backends /ready needs SERVING; the others only "
                                            "show as degraded (their endpoints answer 503 while down)")
    max_code_bytes: int = Field(256 * 1024, ge=1024)
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=4096)
    retry_after_s: int = Field(1, ge=1)
    api_keys: str = Field("", description="comma-separated keys; when set, every endpoint but /health and /ready "
                                          "needs one (Authorization: Bearer or X-API-Key); empty: open")

    @property
    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.split(",") if k.strip()]

    @property
    def ready_backend_list(self) -> list[str]:
        return [b.strip() for b in self.ready_backends.split(",") if b.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def mcp_allowed_origin_list(self) -> list[str]:
        return [o.strip() for o in self.mcp_allowed_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _keys_beyond_loopback(self):
        """An API reachable beyond this machine runs code for anyone: it needs keys, or an explicit choice."""
        exposed = self.bind or self.host
        if not self.api_key_list and not self.open_access and not is_loopback(exposed):
            raise ValueError(f"the gateway would listen on {exposed} (beyond loopback) with no API keys: set "
                             "GATEWAY_API_KEYS, or GATEWAY_OPEN_ACCESS=true to serve anyone who can reach it")
        return self

    # Webhook delivery (docs: README "Webhooks")
    webhook_timeout_s: float = Field(5.0, gt=0, description="timeout of one delivery attempt")
    webhook_max_attempts: int = Field(5, ge=1, le=20, description="attempts per delivery, the first included")
    webhook_backoff_s: float = Field(1.0, ge=0, description="delay before the 2nd attempt; doubles each time")
    webhook_backoff_max_s: float = Field(60.0, ge=0, description="cap of one backoff delay")
    webhook_allow: str = Field("", description="comma-separated CIDRs or host names admitted past the SSRF guard")
    webhook_max_response_bytes: int = Field(1024, ge=0, le=65536,
                                            description="most bytes of a receiver's reply read (quoted on failure)")
    # Fair use (per API key, or per client address when open) and what is kept of executions
    fair_max_executions: int = Field(4, ge=1, description="code executions one client may have running at once")
    fair_max_backtests: int = Field(6, ge=1, description="backtests one client may have running at once")
    fair_max_running_strategies: int = Field(10, ge=1, description="live strategies running at once (all clients)")
    executions_keep: int = Field(5000, ge=1, description="stored executions kept; the oldest beyond are pruned")
    executions_max_age_days: float = Field(30.0, gt=0, description="stored executions older than this are pruned")
    executions_prune_interval_s: float = Field(300.0, gt=0, description="how often stored executions are pruned")
    execution_max_stored_bytes: int = Field(65536, ge=1024, description="cap of each of stdout, stderr and the "
                                                                        "result (JSON) stored per execution")
    # Live strategies
    live_symbols: str = Field("BTC/USDT:USDT,ETH/USDT:USDT,SOL/USDT:USDT",
                              description="the symbol universe: comma-separated, any spelling")
    live_window: int = Field(300, ge=2, le=5000, description="candles given to generate_signals each run")
    live_max_failures: int = Field(3, ge=1, description="consecutive failed runs before a strategy stops with error")
    live_tick_s: float = Field(1.0, gt=0, description="how often the runner looks for strategies to start or stop")
    live_lease_s: float = Field(30.0, gt=0, description="a runner's hold on a strategy, renewed while it runs")
    live_min_interval_s: float = Field(1.0, gt=0, description="smallest interval_seconds accepted")
    live_max_candle_age: float = Field(2.0, gt=0, description="a live strategy acts only on a candle that closed at "
                                                              "most this many of its timeframes ago (2: one missed)")
    # Parameter sweeps: chunks of combinations sent over the backtest channel
    sweep_max_combinations: int = Field(10000, ge=1, description="most backtests one sweep may ask for (combinations "
                                                                 "x walk-forward windows); more: 422")
    sweep_chunk_size: int = Field(10, ge=1, le=1000, description="most combinations per RunChunk call (one sandbox "
                                                                 "session and one candle fetch each); fewer when a "
                                                                 "sweep is too small to fill the chunks in flight")
    sweep_concurrency: int = Field(4, ge=1, description="chunks this gateway has in flight at once, all sweeps "
                                                        "together (one sweep: also at most GATEWAY_FAIR_MAX_BACKTESTS)")
    sweep_chunk_retries: int = Field(3, ge=0, description="times a failed chunk is sent again (only its items not "
                                                          "stored yet) before they are recorded as failed")
    sweep_chunk_timeout_s: float = Field(900.0, gt=0, description="deadline of one chunk call")
    sweep_lease_s: float = Field(30.0, gt=0, description="a gateway's hold on a running sweep, renewed while it "
                                                         "runs; a dead gateway's sweep is taken over after it")
    sweep_tick_s: float = Field(1.0, gt=0, description="how often the sweep runner looks for sweeps to run")
    fair_max_sweeps: int = Field(4, ge=1, description="unfinished sweeps one client may have at once")

def is_loopback(address: str) -> bool:
    """True for localhost and loopback IPs; all-interfaces (0.0.0.0, ::), other IPs and names are beyond."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False
