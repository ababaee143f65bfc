"""The pure rules behind the gateway's exposure check and Host allow-list."""

import pytest
from pydantic import ValidationError

from botmoon_gateway.allowed_hosts import AllowedHosts, host_name
from botmoon_gateway.settings import GatewaySettings, is_loopback


@pytest.mark.parametrize(("header", "name"), [("Example.COM:8080", "example.com"), ("[::1]:80", "::1"), ("::1", "::1"),
                                              ("localhost", "localhost"), ("10.0.0.1:37674", "10.0.0.1")])
def test_host_name_drops_the_port_and_case(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize(("address", "loopback"), [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True),
                                                   ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                                   ("::", False), ("192.168.1.2", False), ("botmoon.lan", False)])
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


def test_settings_refuse_exposure_without_keys_unless_open(monkeypatch):
    for name in ("GATEWAY_API_KEYS", "GATEWAY_HOST", "GATEWAY_BIND", "GATEWAY_OPEN_ACCESS"):
        monkeypatch.delenv(name, raising=False)
    assert GatewaySettings().host == "127.0.0.1"
    with pytest.raises(ValidationError, match="GATEWAY_OPEN_ACCESS"):
        GatewaySettings(host="0.0.0.0")
    with pytest.raises(ValidationError, match="beyond loopback"):
        GatewaySettings(host="0.0.0.0", bind="10.0.0.5")
    assert GatewaySettings(host="0.0.0.0", bind="127.0.0.1").bind == "127.0.0.1"
    assert GatewaySettings(host="0.0.0.0", api_keys="k1").api_key_list == ["k1"]
    assert GatewaySettings(host="0.0.0.0", open_access=True).open_access is True


def test_allow_list_patterns():
    check = AllowedHosts(app=None, extra=["botmoon.lan", "*.corp.example"])
    assert all(check.allowed(h) for h in ["localhost:1", "a.localhost", "botmoon.lan", "x.corp.example", "1.2.3.4",
                                          "[fe80::1]:80", ""])
    assert not any(check.allowed(h) for h in ["corp.example", "botmoon.lan.evil", "evil.example", "localhost.evil"])
    assert AllowedHosts(app=None, extra=["*"]).allowed("anything.example")
