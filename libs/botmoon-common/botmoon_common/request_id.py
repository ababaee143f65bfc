"""The request id that starts at the gateway and travels through gRPC metadata."""

import contextvars
import uuid

METADATA_KEY = "x-request-id"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def get() -> str | None:
    return _current.get()


def set(value: str | None) -> contextvars.Token:  # noqa: A001 - mirrors ContextVar.set
    return _current.set(value)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def new() -> str:
    return uuid.uuid4().hex


def outgoing_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata to attach to an outgoing gRPC call so the callee logs the same id."""
    value = get()
    return ((METADATA_KEY, value),) if value else ()
