"""Backtest settings from BACKTEST_ variables; peers as <PEER>_ADDR."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from botmoon_common.settings import ServiceSettings


class BacktestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BACKTEST_", extra="ignore")

    port: int = 50053
    metrics_port: int = Field(9103, ge=0, le=65535, description="Prometheus /metrics; 0 disables")
    max_connection_age_s: float = Field(5.0, ge=0, description="clients reconnect (and re-resolve DNS, finding new "
                                        "replicas) after this long, +-10%; 0 = never (gRFC A9)")
    max_connection_age_grace_s: float = Field(900.0, ge=0, description="time calls in flight get to finish then")
    sandbox_addr: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("SANDBOX_ADDR", "BACKTEST_SANDBOX_ADDR"))
    marketdata_addr: str = Field("127.0.0.1:50052",
                                 validation_alias=AliasChoices("MARKETDATA_ADDR", "BACKTEST_MARKETDATA_ADDR"))
    call_timeout_s: float = Field(300.0, gt=0, description="deadline of calls to market data and the sandbox")
    max_candles: int = Field(1_000_000, ge=10, description="largest number of candles one backtest may use")
    max_leverage: float = Field(10.0, ge=1)
    risk_free_rate: float = Field(0.0, ge=0, le=1)
    default_max_points: int = Field(2000, ge=10)
