"""The Host header checked against an allow-list, so that a web page cannot reach a local Botmoon by DNS rebinding.

A rebinding page makes the browser send its own host name (`evil.example`) to our address; a request naming
localhost or an IP address cannot come from such a page, so those are always admitted."""

import ipaddress

from botmoon_gateway.errors import error_body
from botmoon_gateway.middleware import reply_json

LOCAL_NAMES = ("localhost", "*.localhost")
EXEMPT_PATHS = frozenset({"/health", "/ready"})  # probes address the pod or container by whatever name they have


def host_name(header: str) -> str:
    """`Example.COM:8080` → `example.com`; `[::1]:80` → `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def matches(name: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name == pattern


class AllowedHosts:
    """Answers 400 to a request whose Host is neither an IP address nor a name on the list (localhost by default,
    GATEWAY_ALLOWED_HOSTS besides). A request without a Host header (HTTP/1.0) cannot come from a browser."""

    def __init__(self, app, extra: list[str]):
        self.app = app
        self._patterns = [*LOCAL_NAMES, *extra]

    def allowed(self, header: str) -> bool:
        name = host_name(header)
        return not header or is_ip(name) or any(matches(name, p) for p in self._patterns)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            return await self.app(scope, receive, send)
        header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if self.allowed(header):
            return await self.app(scope, receive, send)
        await reply_json(send, 400, error_body("invalid request", [{
            "field": "Host", "reason": f"'{header[:100]}' is not an allowed host name (GATEWAY_ALLOWED_HOSTS)"}]))
