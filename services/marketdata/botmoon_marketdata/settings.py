"""Market data settings from MARKETDATA_ variables, with defaults that work on one machine, offline too."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from botmoon_common.settings import ServiceSettings


class MarketDataSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MARKETDATA_", extra="ignore")

    port: int = 50052
    metrics_port: int = Field(9102, ge=0, le=65535, description="Prometheus /metrics; 0 disables")
    store_path: str = Field("./data/marketdata.sqlite", description="the SQLite store; created on first start")
    load_bundled: bool = Field(True, description="load the bundled candles into the store at start (once)")
    exchange_access: bool = Field(True, description="false: never call an exchange, answer from the store")
    binance_url: str | None = Field(None, description="send every Binance API call to this base URL (tests, proxy)")
    okx_url: str | None = Field(None, description="send every OKX API call to this base URL (tests, proxy)")
    exchange_timeout_s: float = Field(10.0, gt=0)
    retry_attempts: int = Field(4, ge=1, le=10)
    retry_base_delay_s: float = Field(0.5, ge=0)
    retry_max_delay_s: float = Field(8.0, ge=0)
    down_for_s: float = Field(30.0, ge=0, description="after an exchange failed, answer from the store this long")
    max_candles: int = Field(1_000_000, ge=1000, description="most candles in one GetCandles response")
    default_limit: int = Field(500, ge=1)
    default_exchange: str = Field("binance", pattern="^(binance|okx)$")
    stream_poll_s: float = Field(5.0, gt=0, description="longest wait between checks for newly closed candles")
