"""Dependencies the routes share, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Database
from botmoon_gateway.errors import FieldError
from botmoon_gateway.live.runner import LiveRunner
from botmoon_gateway.settings import GatewaySettings
from botmoon_gateway.webhooks import Deliverer


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def _db(request: Request) -> Database:
    return request.app.state.db


def _backends(request: Request) -> Backends:
    return request.app.state.backends


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
DbDep = Annotated[Database, Depends(_db)]
BackendsDep = Annotated[Backends, Depends(_backends)]


def check_code_size(code: str, settings: GatewaySettings) -> None:
    size = len(code.encode("utf-8"))
    if size > settings.max_code_bytes:
        raise FieldError("code", f"is {size} bytes; the limit is {settings.max_code_bytes}", status_code=413)
    if not code.strip():
        raise FieldError("code", "is empty")


def _deliverer(request: Request) -> Deliverer:
    return request.app.state.deliverer


def _live(request: Request) -> LiveRunner:
    return request.app.state.live


DelivererDep = Annotated[Deliverer, Depends(_deliverer)]
LiveDep = Annotated[LiveRunner, Depends(_live)]
