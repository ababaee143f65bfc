"""Dependencies the routes share, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Database
from botmoon_gateway.errors import FieldError
from botmoon_gateway.live.runner import LiveRunner
from botmoon_gateway.settings import GatewaySettings
from botmoon_gateway.webhooks import Deliverer


def _state(name: str):
    """A dependency returning what the app's lifespan put in `app.state.<name>`."""
    def dependency(request: Request):
        return getattr(request.app.state, name)

    return dependency


SettingsDep = Annotated[GatewaySettings, Depends(_state("settings"))]
DbDep = Annotated[Database, Depends(_state("db"))]
BackendsDep = Annotated[Backends, Depends(_state("backends"))]
DelivererDep = Annotated[Deliverer, Depends(_state("deliverer"))]
LiveDep = Annotated[LiveRunner, Depends(_state("live"))]


def check_code_size(code: str, settings: GatewaySettings) -> None:
    size = len(code.encode("utf-8"))
    if size > settings.max_code_bytes:
        raise FieldError("code", f"is {size} bytes; the limit is {settings.max_code_bytes}", status_code=413)
    if not code.strip():
        raise FieldError("code", "is empty")
