"""Headers an endpoint adds to every request: checked when configured, never ones the delivery itself sets."""

import re

MAX_HEADERS = 20
# RFC 9110 token characters for names; values are visible ASCII, spaces and tabs (no line breaks).
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")
_VALUE = re.compile(r"^[\t\x20-\x7e]{0,1000}$")
_RESERVED = frozenset({"host", "content-type", "content-length", "transfer-encoding", "connection", "te",
                       "upgrade", "user-agent", "accept-encoding", "keep-alive", "trailer"})


def reserved(name: str) -> bool:
    lowered = name.lower()
    return lowered in _RESERVED or lowered.startswith("webhook-")


def check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """A validator for configuration: the headers unchanged when they can be sent, else ValueError."""
    if headers is None:
        return None
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} headers")
    for name, value in headers.items():
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~, 1-100)")
        if reserved(name):
            raise ValueError(f"{name!r} is set by the delivery itself and cannot be configured")
        if not _VALUE.match(value):
            raise ValueError(f"the value of {name!r} must be printable ASCII on one line, at most 1000 characters")
    return headers


def sendable(headers: dict | None) -> dict[str, str]:
    """Stored headers as sent: anything that could not pass `check_headers` now is left out."""
    return {str(k): str(v) for k, v in (headers or {}).items()
            if _NAME.match(str(k)) and not reserved(str(k)) and _VALUE.match(str(v))}
