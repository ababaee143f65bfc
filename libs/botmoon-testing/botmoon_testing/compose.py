"""The compose stack as the README starts it: `make up` / `make down` on :37674."""

import os
import subprocess
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[3]
BASE = "http://127.0.0.1:37674"
PROJECT = "botmoon"


def make(*targets: str, timeout: float = 900, **env: str) -> None:
    run = subprocess.run(["make", *targets], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, **env})
    assert run.returncode == 0, f"make {' '.join(targets)}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"


def service_containers(service: str) -> list:
    return docker.from_env().containers.list(filters={
        "label": [f"com.docker.compose.project={PROJECT}", f"com.docker.compose.service={service}"]})
