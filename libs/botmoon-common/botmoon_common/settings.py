"""Settings shared by every service; each service extends this with its own env prefix."""

from pydantic import Field, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common knobs. Subclasses set `model_config` with their `<SERVICE>_` prefix and their `port`."""

    model_config = SettingsConfigDict(extra="ignore")

    log_level: str = "INFO"
    host: str = "0.0.0.0"
    shutdown_grace_s: float = Field(10.0, ge=0, description="on SIGTERM, calls in flight get this long to finish")

    @field_validator("port", mode="before", check_fields=False)
    @classmethod
    def _not_a_service_link(cls, value):
        """Kubernetes and Docker links set `<NAME>_PORT=tcp://10.0.0.7:50051` for a Service or link named like
        the service: that is a peer's address, not our port, so the default stands (the manifests also turn
        service links off)."""
        if isinstance(value, str) and "://" in value:
            raise PydanticUseDefault()
        return value
