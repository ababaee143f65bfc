"""The kubelet's service links (`SANDBOX_PORT=tcp://10.0.0.7:50051` for a Service named sandbox) must not break
a service's settings: with links on, as on any pod that doesn't turn them off, every settings class still
starts with its own port. The links are made by the same code the pod test uses."""

import pytest

from botmoon_backtest.settings import BacktestSettings
from botmoon_gateway.settings import GatewaySettings
from botmoon_marketdata.settings import MarketDataSettings
from botmoon_sandbox.settings import SandboxSettings
from botmoon_testing.kubelet import Cluster, Pod

SETTINGS = {"gateway": (GatewaySettings, 37674), "sandbox": (SandboxSettings, 50051),
            "marketdata": (MarketDataSettings, 50052), "backtest": (BacktestSettings, 50053)}


def service(name: str, port: int) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ns"},
            "spec": {"selector": {"app": name}, "ports": [{"name": "grpc", "port": port}]}}


def links_env() -> dict[str, str]:
    cluster = Cluster([service(name, port) for name, (_, port) in SETTINGS.items()], image_for=str)
    pod = Pod("ns", "p", {"containers": [{"name": "c", "image": "i"}]}, {})  # enableServiceLinks unset: on
    return cluster.environment(pod, pod.spec["containers"][0])


def test_the_kubelet_links_every_service_with_a_cluster_ip():
    env = links_env()
    assert env["SANDBOX_PORT"].startswith("tcp://") and env["GATEWAY_PORT"].startswith("tcp://")
    assert env["SANDBOX_SERVICE_PORT_GRPC"] == "50051"
    headless = Cluster([{**service("backtest-headless", 50053), "spec": {
        **service("x", 1)["spec"], "clusterIP": "None"}}], image_for=str).service_links("ns")
    assert headless == {}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_settings_keep_their_port_under_service_links(name, monkeypatch):
    for key, value in links_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GATEWAY_OPEN_ACCESS", "true")
    settings_class, port = SETTINGS[name]
    assert settings_class().port == port


def test_an_explicit_port_still_wins_and_a_bad_one_is_still_refused(monkeypatch):
    monkeypatch.setenv("SANDBOX_PORT", "50099")
    assert SandboxSettings().port == 50099
    monkeypatch.setenv("SANDBOX_PORT", "fifty")
    with pytest.raises(ValueError, match="port"):
        SandboxSettings()
