"""A Docker engine of its own for the sandbox's tests: the sandbox-engine image run as compose's `engine` service
runs it (Docker-in-Docker, runc and gVisor's runsc registered), reached on a Unix socket in a temporary folder.
Nothing on the host is configured: its storage is a volume removed with it."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from botmoon_testing.kubelet import privileged_flags

LABEL = "botmoon.test-engine"
# The engine that runs the dedicated ones: whatever DOCKER_HOST said when this was imported, since a test run then
# points DOCKER_HOST at the dedicated engine itself (botmoon_testing.sandbox_runtime).
HOST_ENV = dict(os.environ)


def docker(*args: str, timeout: float = 300, check: bool = True) -> str:
    run = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False,
                         env=HOST_ENV)
    if check and run.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])}: {run.stderr.strip()[-2000:]}")
    return run.stdout


class DedicatedEngine:
    """`start()` runs the engine and loads the runner image it carries (tagged `latest` in it too, the sandbox's
    default); `docker_host` is its address; `stop()` removes it and its storage. `config` replaces the image's
    engine.json (e.g. to register a runtime under another name)."""

    def __init__(self, image_tag: str = "latest", config: dict | None = None):
        self.image = f"botmoon/sandbox-engine:{image_tag}"
        self.name = f"botmoon-test-engine-{uuid.uuid4().hex[:8]}"
        self.folder = Path(tempfile.mkdtemp(prefix="botmoon-engine-"))
        self.config = config
        self.docker_host = f"unix://{self.folder}/docker.sock"

    def start(self, timeout: float = 300) -> "DedicatedEngine":
        mounts = ["-v", f"{self.folder}:/run/dind", "--mount", f"type=volume,source={self.name},target=/var/lib/docker"]
        if self.config is not None:
            (self.folder / "engine.json").write_text(json.dumps(self.config))
            mounts += ["-v", f"{self.folder / 'engine.json'}:/opt/botmoon/engine.json:ro"]
        docker("volume", "create", "--label", LABEL, self.name)
        docker("run", "-d", "--name", self.name, "--label", LABEL, "--network", "none", *privileged_flags(), *mounts,
               "--env", "RUNNER_TAGS=latest", "--entrypoint", "/usr/bin/docker-init", self.image,
               "--", "/opt/botmoon/compose-engine.sh", "--host=unix:///run/dind/docker.sock", "--bridge=none",
               "--iptables=false", "--ip6tables=false", "--config-file=/opt/botmoon/engine.json")
        deadline = time.monotonic() + timeout
        while not self.has("botmoon/sandbox-runner:latest"):
            state = docker("inspect", "--format", "{{.State.Status}}", self.name).strip()
            if state != "running" or time.monotonic() > deadline:
                logs = subprocess.run(["docker", "logs", "--tail", "30", self.name], capture_output=True, text=True,
                                      env=HOST_ENV)
                self.stop()
                raise RuntimeError(f"dedicated engine not ready ({state}):\n{logs.stdout}{logs.stderr}")
            time.sleep(0.5)
        return self

    def has(self, image: str) -> bool:
        found = subprocess.run(["docker", f"--host={self.docker_host}", "image", "inspect", "--format", "ok", image],
                               capture_output=True, text=True, timeout=30, check=False)
        return found.returncode == 0

    def info(self) -> dict:
        return json.loads(docker(f"--host={self.docker_host}", "info", "--format", "{{json .}}"))

    def stop(self) -> None:
        docker("rm", "-f", "-v", self.name, check=False, timeout=120)
        docker("volume", "rm", "-f", self.name, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
