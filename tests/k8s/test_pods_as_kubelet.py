"""Every overlay's pods, run under the local Docker engine as the kubelet would run them (botmoon_testing.kubelet):
the stack must come up from the rendered manifests alone and answer the seed's deploy, execute and backtest
requests through the gateway. Only image references are rewritten (to the images `make images` built here)."""

import base64
from pathlib import Path

import httpx
import pytest

from botmoon_testing.kubelet import Cluster, local_image, render

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ["overlays/dev", "overlays/production"]

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1500)]


def namespaces(docs: list[dict]) -> tuple[str, str]:
    """(the app namespace, the sandbox pool's namespace)."""
    deployments = {d["metadata"]["name"]: d["metadata"]["namespace"] for d in docs if d["kind"] == "Deployment"}
    return deployments["gateway"], deployments["sandbox"]


def out_of_band_secret(namespace: str) -> dict:
    """What an operator creates in production from secrets.env (the committed example's values here)."""
    pairs = {}
    for line in (K8S / "overlays/production/secrets.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = base64.b64encode(value.encode()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "botmoon-secrets", "namespace": namespace},
            "data": pairs}


@pytest.fixture(scope="module", params=OVERLAYS)
def stack(request):
    docs = render(K8S / request.param)
    app, pool = namespaces(docs)
    secrets = [d for d in docs if d["kind"] == "Secret"]
    extra = [] if secrets else [out_of_band_secret(app)]
    cluster = Cluster(docs, local_image, publish={"gateway": 37674}, extra_objects=extra)
    try:
        cluster.start([f"{pool}/sandbox", f"{app}/marketdata", f"{app}/backtest", f"{app}/gateway"])
        gateway = cluster.object("Deployment", app, "gateway")["spec"]["template"]["spec"]["containers"][0]
        secret = next(s["secretRef"]["name"] for s in gateway["envFrom"] if "secretRef" in s)
        keys = cluster.data_of("Secret", app, secret).get("GATEWAY_API_KEYS", "")
        key = next((k.strip() for k in keys.split(",") if k.strip()), None)
        headers = {"X-API-Key": key} if key else {}
        with httpx.Client(base_url=f"http://127.0.0.1:{cluster.host_ports['gateway']}", headers=headers,
                          timeout=120) as client:
            yield request.param, cluster, client, (app, pool)
    finally:
        cluster.close()


def test_the_gateway_answers_deploy_execute_and_backtest(stack):
    overlay, _, client, _ = stack
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["backends"]["sandbox"] == "SERVING", ready.text

    deploy = client.post("/api/ai/deploy", json={"code": "print('Hello from AI!')\nresult = 42", "name": "MyAlgorithm",
                                                 "auto_run": True, "return_result": True})
    assert deploy.status_code == 200, deploy.text
    body = deploy.json()
    assert body["success"] is True and body["execution"]["status"] == "completed", (overlay, body)
    assert body["execution"]["result"] == 42 and body["execution"]["output"] == "Hello from AI!\n"

    code = "import numpy as np\nresult = float(np.mean([1, 2, 3, 4, 5]))"
    execute = client.post("/api/ai/execute", json={"code": code, "name": "NumpyTest"})
    assert execute.status_code == 200, execute.text
    assert execute.json()["status"] == "completed" and execute.json()["result"] == 3.0

    example = client.get("/api/backtest/example").json()["code"]
    quick = client.post("/api/backtest/quick", json={"code": example, "symbol": "BTC/USDT:USDT", "timeframe": "1h",
                                                     "exchange": "binance"})
    assert quick.status_code == 200, quick.text
    assert quick.json()["success"] is True, quick.text


DOCKER_DNS = "0B00007F"  # 127.0.0.11: Docker's embedded DNS, which the emulation adds to every pod


def listening_tcp_ports(cluster: Cluster, key: str, container: str) -> set[int]:
    """Every TCP port in LISTEN state in the pod's network namespace (all its containers share it)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in cluster.exec(key, container, "cat", table).splitlines()[1:]:
            fields = line.split()
            address, port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and address != DOCKER_DNS:  # TCP_LISTEN
                ports.add(int(port, 16))
    return ports


def test_the_sandbox_pod_listens_only_on_its_declared_ports_so_the_engine_has_no_tcp(stack):
    _, cluster, _, (_, pool) = stack
    pod = cluster.pods[f"{pool}/sandbox"]
    declared = {p["containerPort"] for c in pod.spec["containers"] for p in c.get("ports", [])}
    listening = listening_tcp_ports(cluster, f"{pool}/sandbox", "sandbox")
    assert listening == declared, f"listening {sorted(listening)}, declared {sorted(declared)}"
    assert not {2375, 2376} & listening
    engine = cluster.exec(f"{pool}/sandbox", "dind", "docker", "--host=unix:///run/dind/docker.sock", "info",
                          "--format", "{{json .Runtimes}}")
    assert "runsc" in engine  # gVisor is there for SANDBOX_RUNTIME=runsc


def test_the_runner_image_came_from_the_pods_own_engine_image_and_gvisor_runs_it(stack):
    _, cluster, _, (_, pool) = stack
    key = f"{pool}/sandbox"
    images = cluster.exec(key, "dind", "docker", "--host=unix:///run/dind/docker.sock", "images", "--format",
                          "{{.Repository}}:{{.Tag}}").split()
    assert images == ["botmoon/sandbox-runner:bundled"]
    release = cluster.exec(key, "dind", "docker", "--host=unix:///run/dind/docker.sock", "run", "--rm",
                           "--runtime", "runsc", "--network", "none", "--read-only", "--cap-drop", "ALL",
                           "--user", "65534:65534", "--entrypoint", "/venv/bin/python",
                           "botmoon/sandbox-runner:bundled", "-c", "import platform; print(platform.release())")
    assert release.strip() == "4.4.0"  # gVisor's kernel, not the node's


def test_settings_from_the_manifests_reach_the_services(stack):
    overlay, cluster, client, (_, pool) = stack
    env = cluster.exec(f"{pool}/sandbox", "sandbox", "env")
    assert "SANDBOX_PORT=" not in env  # enableServiceLinks: false
    pool_size = next(line for line in env.splitlines() if line.startswith("SANDBOX_POOL_SIZE="))
    assert pool_size == {"overlays/dev": "SANDBOX_POOL_SIZE=1", "overlays/production": "SANDBOX_POOL_SIZE=4"}[overlay]
    assert client.get("/ready").json()["essential"] == ["sandbox"]
