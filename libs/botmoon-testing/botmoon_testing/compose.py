"""Compose stacks started the README's way (`make up` / `make down`), each under its own project name and host
port, so tests never touch a stack the user started (project `botmoon` on :37674)."""

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import docker
import httpx

from botmoon_testing.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ("sandbox-runner", "sandbox", "sandbox-engine", "gateway", "marketdata", "backtest")
SETTINGS_CLASSES = {"gateway": "botmoon_gateway.settings:GatewaySettings",
                    "sandbox": "botmoon_sandbox.settings:SandboxSettings",
                    "marketdata": "botmoon_marketdata.settings:MarketDataSettings",
                    "backtest": "botmoon_backtest.settings:BacktestSettings"}
# What a caller's environment must not carry into a test stack: its settings and the Makefile's stack variables.
_NOT_INHERITED = re.compile(r"^((GATEWAY|SANDBOX|MARKETDATA|BACKTEST)_.*|PROJECT|HOST_PORT|ENV_FILE|MAKEFLAGS|MFLAGS|"
                            r"MAKELEVEL|BOTMOON_ENV_DIR|SANDBOX_POOL)$")


class Stack:
    """One compose project: `up(**settings)` is `SETTING=value … make up` for it (over the stack's own
    `settings`), `down()` is `make down VOLUMES=1`."""

    def __init__(self, prefix: str = "botmoon-e2e", image_tag: str = "latest", **settings: str):
        self.settings = {"IMAGE_TAG": image_tag, **settings}
        self.project = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.pool = f"compose-{self.project}"

    def make(self, *args: str, timeout: float = 900, env_file: str = "", **env: str) -> None:
        base = {k: v for k, v in os.environ.items() if not _NOT_INHERITED.match(k)}
        run = subprocess.run(["make", *args, f"PROJECT={self.project}", f"HOST_PORT={self.port}",
                              f"ENV_FILE={env_file}", "BUILD=0"],
                             cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**base, **env})
        assert run.returncode == 0, f"make {' '.join(args)}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"

    def up(self, replicas: int = 1, env_file: str = "", **settings: str) -> None:
        self.make("up", f"BACKTEST_REPLICAS={replicas}", env_file=env_file, **{**self.settings, **settings})

    def down(self) -> None:
        self.make("down", "VOLUMES=1")

    def client(self, timeout: float = 180, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=timeout, **kwargs)

    def containers(self, service: str, stopped: bool = False) -> list:
        return docker.from_env().containers.list(all=stopped, filters={"label": [
            f"com.docker.compose.project={self.project}", f"com.docker.compose.service={service}"]})

    def started(self) -> dict[str, str]:
        """When each running container of the stack started: unchanged means not restarted nor recreated."""
        containers = docker.from_env().containers.list(filters={"label": f"com.docker.compose.project={self.project}"})
        return {c.id: c.attrs["State"]["StartedAt"] for c in containers}

    def settings_of(self, service: str) -> dict:
        """The settings `service` reads in its container, loaded by its own settings class."""
        module, name = SETTINGS_CLASSES[service].split(":")
        [container, *_] = self.containers(service)
        code = f"from {module} import {name}; print({name}().model_dump_json())"
        exit_code, output = container.exec_run(["/venv/bin/python", "-c", code])
        assert exit_code == 0, output.decode(errors="replace")
        return json.loads(output.decode().strip().splitlines()[-1])

    def leftovers(self) -> dict[str, list[str]]:
        """Containers (the stack's and its user-code containers), networks and volumes of this project."""
        client = docker.from_env()
        label = {"label": f"com.docker.compose.project={self.project}"}
        pool = {"label": f"botmoon.sandbox.pool={self.pool}"}
        return {
            "containers": [c.name for c in client.containers.list(all=True, filters=label)]
            + [c.short_id for c in client.containers.list(all=True, filters=pool)],
            "networks": [n.name for n in client.networks.list(filters=label)],
            "volumes": [v.name for v in client.volumes.list(filters=label)],
        }


def build_images() -> None:
    """`make images`, as `make up` would before starting a stack."""
    run = subprocess.run(["make", "images"], cwd=ROOT, capture_output=True, text=True, timeout=3600,
                         env={k: v for k, v in os.environ.items() if not _NOT_INHERITED.match(k)})
    assert run.returncode == 0, f"make images:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"


def freeze_images() -> str:
    """Tags the current images under a tag of their own, so a stack started with it (IMAGE_TAG) keeps them
    while `latest` is rebuilt: `make up` on a running stack then recreates nothing but what its settings change."""
    tag = f"e2e-{uuid.uuid4().hex[:8]}"
    client = docker.from_env()
    for name in IMAGES:
        client.images.get(f"botmoon/{name}:latest").tag(f"botmoon/{name}", tag)
    return tag


def unfreeze_images(tag: str) -> None:
    client = docker.from_env()
    for name in IMAGES:
        client.images.remove(f"botmoon/{name}:{tag}", noprune=True)
