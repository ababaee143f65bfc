"""Which container runtimes the sandbox benchmark measures, and on which Docker engine each runs.

`BENCH_SANDBOX_TARGETS` lists them as runtime@engine, by default `runc@local,runc@dedicated,runsc@dedicated`:
`local` is the engine of DOCKER_HOST; `dedicated` is compose's `engine` service (Docker-in-Docker with runc and
runsc registered, as the stacks run user code), started alone by the benchmark (`BENCH_SANDBOX_ENGINE_TAG`
picks its image tag, default `latest`), or one already running at `BENCH_DEDICATED_DOCKER_HOST` (e.g. a
stack's `engine` service, through its socket's volume). A target whose engine or runtime is not there is
reported as not run, with the reason.
"""

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import docker

COMPOSE_FILE = Path(__file__).resolve().parents[1] / "deploy" / "compose" / "compose.yaml"
ENGINE_START_S = 240.0


@dataclass(frozen=True)
class Target:
    runtime: str
    docker_host: str | None = None  # None: the environment's own engine
    engine: str = "local engine"  # what the docs say it ran on
    skipped: str | None = None  # why it is not measured

    def env(self) -> dict[str, str]:
        """Environment for processes (the sandbox service, the docker CLI) that must use this engine."""
        return {"DOCKER_HOST": self.docker_host} if self.docker_host else {}

    @property
    def sandbox_runtime(self) -> str:
        """SANDBOX_RUNTIME for the sandbox service ("" = the engine's default, which is runc)."""
        return "" if self.runtime == "runc" else self.runtime

    @property
    def label(self) -> str:
        return f"{self.runtime} ({self.engine})"


def engine_facts(docker_host: str | None) -> dict:
    client = docker.DockerClient(base_url=docker_host) if docker_host else docker.from_env()
    try:
        info = client.info()
    finally:
        client.close()
    return {"runtimes": set(info.get("Runtimes") or {}), "driver": info.get("Driver", "?"),
            "version": info.get("ServerVersion", "?")}


class DedicatedEngine:
    """Compose's `engine` service (deploy/compose/compose.yaml: Docker-in-Docker with runc and runsc registered,
    the runner image loaded) alone, in a compose project of its own; reached through its socket's volume on
    the host. Taken down with its volumes at exit."""

    def __init__(self):
        self.project = f"benchengine{os.getpid()}"
        self.problem = ""
        self.docker_host = ""
        # The engine alone: the committed per-service env files (deploy/compose/env), not those of a `make up`
        # stack that make's exported BOTMOON_ENV_DIR names (they need not exist).
        self._env = {**{k: v for k, v in os.environ.items() if k != "BOTMOON_ENV_DIR"},
                     "IMAGE_TAG": os.environ.get("BENCH_SANDBOX_ENGINE_TAG", "latest")}

    def _compose(self, *args: str) -> subprocess.CompletedProcess:
        compose = ["docker", "compose"] if subprocess.run(["docker", "compose", "version"],
                                                          capture_output=True).returncode == 0 \
            else ["docker-compose"]
        return subprocess.run([*compose, "-p", self.project, "-f", str(COMPOSE_FILE), *args], env=self._env,
                              capture_output=True, text=True)

    def __enter__(self) -> "DedicatedEngine":
        if given := os.environ.get("BENCH_DEDICATED_DOCKER_HOST"):
            self.docker_host, self.project = given, ""  # one already running; left as it is
            return self
        up = self._compose("up", "-d", "--no-deps", "engine")
        if up.returncode:
            self.problem = f"it did not start: {_last_line(up.stderr)}"
            return self
        volume = subprocess.run(["docker", "volume", "inspect", "-f", "{{.Mountpoint}}",
                                 f"{self.project}_engine-socket"], capture_output=True, text=True)
        self.docker_host = f"unix://{volume.stdout.strip()}/docker.sock"
        env = {**os.environ, "DOCKER_HOST": self.docker_host}
        deadline = time.monotonic() + ENGINE_START_S
        while time.monotonic() < deadline:
            if subprocess.run(["docker", "image", "inspect", "botmoon/sandbox-runner:bundled"], env=env,
                              capture_output=True).returncode == 0:
                subprocess.run(["docker", "tag", "botmoon/sandbox-runner:bundled", "botmoon/sandbox-runner:latest"],
                               env=env, capture_output=True)
                return self
            time.sleep(1)
        logs = self._compose("logs", "--tail", "5", "engine")
        self.problem = f"no runner image in it after {ENGINE_START_S:.0f} s: {_last_line(logs.stdout)}"
        return self

    def __exit__(self, *exc) -> None:
        if self.project:
            self._compose("down", "-v", "--timeout", "20")


def _wanted() -> list[tuple[str, str]]:
    spec = os.environ.get("BENCH_SANDBOX_TARGETS", "runc@local,runc@dedicated,runsc@dedicated")
    pairs = [item.strip().partition("@") for item in spec.split(",") if item.strip()]
    return [(runtime, engine or "local") for runtime, _, engine in pairs]


def needs_dedicated() -> bool:
    return any(engine == "dedicated" for _, engine in _wanted())


def _last_line(text: str) -> str:
    """The most telling line of a tool's output: its last error, else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() and "encountered errors" not in line.lower()]
    return (errors or lines or [text])[-1]


def targets(dedicated: DedicatedEngine | None) -> list[Target]:
    """One target per wanted runtime and engine; `dedicated` is an entered DedicatedEngine, or None."""
    local = engine_facts(None)
    remote = engine_facts(dedicated.docker_host) if dedicated and not dedicated.problem else None
    found = []
    for runtime, engine in _wanted():
        if engine == "local" and runtime in local["runtimes"]:
            found.append(Target(runtime, None, f"local engine, {local['driver']}"))
        elif engine == "local":
            found.append(Target(runtime, skipped=f"{runtime} is not registered with the local engine "
                                                 f"(it has {', '.join(sorted(local['runtimes']))})"))
        elif remote and runtime in remote["runtimes"]:
            found.append(Target(runtime, dedicated.docker_host, f"dedicated engine, {remote['driver']}"))
        elif remote:
            found.append(Target(runtime, skipped=f"{runtime} is not registered with the dedicated engine "
                                                 f"(it has {', '.join(sorted(remote['runtimes']))})"))
        else:
            why = _last_line(dedicated.problem) if dedicated else "no dedicated engine"
            found.append(Target(runtime, skipped=f"the dedicated engine (compose's `engine` service) is not "
                                                 f"available: {why}"))
    return found
