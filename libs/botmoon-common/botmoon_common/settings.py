"""Settings shared by every service; each service extends this with its own env prefix."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common knobs. Subclasses set `model_config` with their `<SERVICE>_` prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    log_level: str = "INFO"
    host: str = "0.0.0.0"
