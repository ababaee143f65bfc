"""Every overlay's pods, run under the local Docker engine as the kubelet would run them (botmoon_testing.kubelet):
the stack must come up from the rendered manifests alone and answer the seed's deploy, execute and backtest
requests through the gateway, from each of its pods (two or more on one PostgreSQL: dev's StatefulSet, or in
production a managed database, a PostgreSQL container beside the pods here). Only image references are rewritten
(to the images `make images` built here)."""

import base64
import secrets
from pathlib import Path
from urllib.parse import urlsplit

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


def secrets_env_example() -> dict[str, str]:
    pairs = {}
    for line in (K8S / "overlays/production/secrets.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def out_of_band_secret(namespace: str, values: dict[str, str]) -> dict:
    """What an operator creates in production from secrets.env."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "botmoon-secrets", "namespace": namespace},
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}}


def start_managed_database(cluster: Cluster) -> dict[str, str]:
    """The managed PostgreSQL production's gateways share: a botmoon/postgres container on the pods' network under
    the host name of secrets.env.example's URL; returns the example's values with this database's password."""
    values = secrets_env_example()
    url = urlsplit(values["GATEWAY_DATABASE_URL"])
    password = secrets.token_hex(12)
    cluster.run_outside("managed-postgres", local_image("botmoon/postgres"), {"POSTGRES_PASSWORD": password},
                        aliases=[url.hostname], ready=["pg_isready", "-h", "127.0.0.1", "-U", url.username,
                                                       "-d", url.path.lstrip("/")])
    netloc = f"{url.username}:{password}@{url.hostname}:{url.port}"
    return {**values, "GATEWAY_DATABASE_URL": url._replace(netloc=netloc).geturl()}


@pytest.fixture(scope="module", params=OVERLAYS)
def stack(request):
    docs = render(K8S / request.param)
    app, pool = namespaces(docs)
    cluster = Cluster(docs, local_image, publish={"gateway": 37674})
    try:
        if not any(d["kind"] == "Secret" for d in docs):  # production: the operator's, once the database is up
            cluster.docs.append(out_of_band_secret(app, start_managed_database(cluster)))
        databases = [f"{app}/{d['metadata']['name']}" for d in docs if d["kind"] == "StatefulSet"]
        assert databases == (["botmoon-dev/postgres"] if request.param == "overlays/dev" else [])
        cluster.start([*databases, f"{pool}/sandbox", f"{app}/marketdata", f"{app}/backtest", f"{app}/gateway"])
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


def test_every_gateway_pod_serves_what_another_stored(stack):
    overlay, cluster, client, (app, _) = stack
    pods = cluster.replicas[f"{app}/gateway"]
    assert len(pods) >= 2, overlay
    gateways = [httpx.Client(base_url=f"http://127.0.0.1:{pod.host_port}", headers=client.headers, timeout=120)
                for pod in pods]
    try:
        for gateway in gateways:
            assert gateway.get("/ready").status_code == 200
        stored = []
        for index, gateway in enumerate(gateways):
            deploy = gateway.post("/api/ai/deploy", json={"code": f"result = {index} * 7", "name": f"Pod{index}",
                                                          "auto_run": True, "return_result": True})
            assert deploy.status_code == 200 and deploy.json()["status"] == "completed", deploy.text
            stored.append((deploy.json()["execution_id"], index * 7))
        for index, gateway in enumerate(gateways):  # each read through another pod than the one that stored it
            execution_id, result = stored[(index + 1) % len(gateways)]
            read = gateway.get(f"/api/ai/executions/{execution_id}")
            assert read.status_code == 200, read.text
            assert read.json()["status"] == "completed" and read.json()["result"] == result
    finally:
        for gateway in gateways:
            gateway.close()
    env = cluster.exec(f"{app}/gateway", "gateway", "env")
    assert "GATEWAY_DATABASE_URL=postgresql://" in env


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
