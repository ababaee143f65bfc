"""The SSRF guard: loopback, private, link-local and metadata addresses, also behind names."""

import asyncio

import pytest

from botmoon_gateway.webhooks import UrlGuard, UrlRefused


def check(url: str, allow: str = "") -> None:
    asyncio.run(UrlGuard(allow).check(url))


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://192.168.1.5/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://0.0.0.0/hook", "non-routable"),
    ("http://localhost:9000/hook", "loopback"),
    ("http://100.100.100.200/", "metadata"),
    ("ftp://example.com/file", "http or https"),
    ("file:///etc/passwd", "http or https"),
    ("http:///nohost", "no host"),
    ("http://user:pw@8.8.8.8/", "credentials"),
])
def test_refused(url, reason):
    with pytest.raises(UrlRefused, match=reason):
        check(url)


def test_public_address_passes():
    check("https://8.8.8.8/hook")


def test_allow_list_admits_cidrs_and_names():
    check("http://127.0.0.1:8080/hook", allow="127.0.0.0/8")
    check("http://localhost:8080/hook", allow="127.0.0.1/32,::1/128")
    check("http://receiver.internal/hook", allow="10.0.0.0/8, receiver.internal")
    with pytest.raises(UrlRefused):
        check("http://10.0.0.1/hook", allow="127.0.0.0/8")
