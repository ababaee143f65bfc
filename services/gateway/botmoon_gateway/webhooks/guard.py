"""Server-side request forgery guard: only http(s) URLs whose host resolves to public addresses,
unless an allow-list (CIDRs or host names) admits it."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

# Cloud metadata services that are not in a private or link-local range.
METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}


class UrlRefused(ValueError):
    """The URL is not one the gateway will send to."""


class UrlGuard:
    def __init__(self, allow: str = ""):
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.hosts: set[str] = set()
        for item in (part.strip() for part in allow.split(",")):
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.hosts.add(item.lower().rstrip("."))

    def check_form(self, url: str) -> tuple[str, int]:
        """Scheme and host only (no resolution): (host, port)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UrlRefused(f"is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise UrlRefused("must be an http or https URL")
        if not parts.hostname:
            raise UrlRefused("has no host")
        if parts.username or parts.password:
            raise UrlRefused("must not carry credentials")
        return parts.hostname.lower().rstrip("."), port or (443 if parts.scheme == "https" else 80)

    async def check(self, url: str) -> None:
        """Raises UrlRefused unless every address the host resolves to is allowed."""
        host, port = self.check_form(url)
        if host in self.hosts:
            return
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise UrlRefused(f"host {host!r} does not resolve ({exc})") from None
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for address in addresses:
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            if any(address in network for network in self.networks):
                continue
            if reason := _forbidden(address):
                shown = host if str(address) == host else f"{host} ({address})"
                raise UrlRefused(f"resolves to a {reason} address: {shown}; not allowed")


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if address in METADATA or str(address) == "169.254.169.254":
        return "cloud metadata"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "non-routable"
    if address.is_private or not address.is_global:
        return "private"
    return None
