"""Server-side request forgery guard: only http(s) URLs whose host resolves to public addresses,
unless an allow-list (CIDRs or host names) admits it.

The guard resolves a host once and hands back the addresses it vetted (`Vetted`); the sender connects to
one of those, so a resolver that answers differently the second time (DNS rebinding) is never asked again.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

# Cloud metadata services that are not in a private or link-local range.
METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """The URL is not one the gateway will send to."""


class UrlUnresolved(UrlRefused):
    """The URL's host does not resolve (now): refused at configuration, retried at delivery."""


@dataclass(frozen=True)
class Vetted:
    """A URL and the addresses the guard checked for it: connect to these, never to a fresh lookup."""

    url: httpx.URL
    addresses: tuple[Address, ...]

    @property
    def host(self) -> str:
        """The host as sent on the wire (IDNA): the Host header and the TLS server name."""
        return self.url.raw_host.decode("ascii")

    def pinned(self, address: Address) -> httpx.URL:
        """The URL with its host replaced by one vetted address (port, path and query kept)."""
        return self.url.copy_with(host=str(address), port=self.url.port)

    def request_extensions(self) -> dict:
        """httpx request extensions that keep TLS on the original name (SNI and certificate check)."""
        if self.url.scheme == "https" and not _is_ip(self.host):
            return {"sni_hostname": self.host}
        return {}


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

    def check_form(self, url: str) -> httpx.URL:
        """Scheme, host, port and no credentials (no resolution); parsed the way the sender parses it."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise UrlRefused(f"is not a valid URL: {exc}") from None
        if parsed.scheme not in ("http", "https"):
            raise UrlRefused("must be an http or https URL")
        if not parsed.host:
            raise UrlRefused("has no host")
        if parsed.userinfo:
            raise UrlRefused("must not carry credentials")
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise UrlRefused(f"has an invalid port {parsed.port}")
        return parsed

    async def check(self, url: str) -> None:
        """Raises UrlRefused unless the URL may be used. Allow-listed host names need not resolve yet."""
        parsed = self.check_form(url)
        if _name(parsed) not in self.hosts:
            await self.vet(url)

    async def vet(self, url: str) -> Vetted:
        """Resolves the host once and checks every address; raises UrlRefused (UrlUnresolved) otherwise."""
        parsed = self.check_form(url)
        name = _name(parsed)
        if _is_ip(name):
            addresses = [ipaddress.ip_address(name)]
        else:
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise UrlUnresolved(f"host {name!r} does not resolve ({exc})") from None
            addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
            if not addresses:
                raise UrlUnresolved(f"host {name!r} does not resolve")
        if name not in self.hosts:
            for address in addresses:
                self._admit(name, address)
        return Vetted(parsed, tuple(addresses))

    def _admit(self, name: str, address: Address) -> None:
        plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address
        if any(plain in network for network in self.networks):
            return
        if reason := _forbidden(plain):
            shown = name if str(plain) == name else f"{name} ({plain})"
            raise UrlRefused(f"resolves to a {reason} address: {shown}; not allowed")


def _name(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii").lower().rstrip(".")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _forbidden(address: Address) -> str | None:
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
