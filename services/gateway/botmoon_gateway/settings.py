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
