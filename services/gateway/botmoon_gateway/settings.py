"""Gateway settings from GATEWAY_ variables; peers as <PEER>_ADDR."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from botmoon_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 37674
    database_url: str = "sqlite:///./botmoon.db"
    sandbox_addr: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("SANDBOX_ADDR", "GATEWAY_SANDBOX_ADDR"))
    marketdata_addr: str = Field("127.0.0.1:50052",
                                 validation_alias=AliasChoices("MARKETDATA_ADDR", "GATEWAY_MARKETDATA_ADDR"))
    backtest_addr: str = Field("127.0.0.1:50053",
                               validation_alias=AliasChoices("BACKTEST_ADDR", "GATEWAY_BACKTEST_ADDR"))
    backtest_timeout_s: float = Field(600.0, gt=0, description="deadline of one backtest")
    grpc_timeout_s: float = Field(60.0, gt=0)
    health_timeout_s: float = Field(1.0, gt=0)
    max_code_bytes: int = Field(256 * 1024, ge=1024)
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=4096)
    retry_after_s: int = Field(1, ge=1)
    api_keys: str = Field("", description="comma-separated keys; when set, every endpoint but /health and /ready "
                                          "needs one (Authorization: Bearer or X-API-Key); empty: open")

    @property
    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.split(",") if k.strip()]

    # Webhook delivery (docs: README "Webhooks")
    webhook_timeout_s: float = Field(5.0, gt=0, description="timeout of one delivery attempt")
    webhook_max_attempts: int = Field(5, ge=1, le=20, description="attempts per delivery, the first included")
    webhook_backoff_s: float = Field(1.0, ge=0, description="delay before the 2nd attempt; doubles each time")
    webhook_backoff_max_s: float = Field(60.0, ge=0, description="cap of one backoff delay")
    webhook_allow: str = Field("", description="comma-separated CIDRs or host names admitted past the SSRF guard")
    # Live strategies
    live_symbols: str = Field("BTC/USDT:USDT,ETH/USDT:USDT,SOL/USDT:USDT",
                              description="the symbol universe: comma-separated, any spelling")
    live_window: int = Field(300, ge=2, le=5000, description="candles given to generate_signals each run")
    live_max_failures: int = Field(3, ge=1, description="consecutive failed runs before a strategy stops with error")
    live_tick_s: float = Field(1.0, gt=0, description="how often the runner looks for strategies to start or stop")
    live_lease_s: float = Field(30.0, gt=0, description="a runner's hold on a strategy, renewed while it runs")
    live_min_interval_s: float = Field(1.0, gt=0, description="smallest interval_seconds accepted")
