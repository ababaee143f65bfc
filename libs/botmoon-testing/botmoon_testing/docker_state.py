"""What the Docker engine holds of the sandbox: containers by pool label."""

import functools
import time

import docker


@functools.cache
def _client() -> docker.DockerClient:
    return docker.from_env()  # at first use: a test run may point DOCKER_HOST elsewhere first (sandbox_runtime)


def sandbox_containers(pool_name: str) -> list[str]:
    """Ids of the pool's containers in any state (one list call: no per-container inspect to race)."""
    filters = {"label": ["botmoon.sandbox=1", f"botmoon.sandbox.pool={pool_name}"]}
    return [c["Id"] for c in _client().api.containers(all=True, filters=filters)]


def wait_container_count(pool_name: str, expected: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    count = -1
    while time.monotonic() < deadline:
        count = len(sandbox_containers(pool_name))
        if count == expected:
            return count
        time.sleep(0.25)
    return count


def remove_pool(pool_name: str) -> None:
    for container_id in sandbox_containers(pool_name):
        try:
            _client().api.remove_container(container_id, force=True)
        except docker.errors.APIError:
            pass  # already gone or being removed
