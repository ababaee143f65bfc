"""What the Docker engine holds of the sandbox: containers by pool label."""

import time

import docker

_client = docker.from_env()


def sandbox_containers(pool_name: str) -> list:
    return _client.containers.list(all=True, filters={"label": ["botmoon.sandbox=1", f"botmoon.sandbox.pool={pool_name}"]})


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
    for container in sandbox_containers(pool_name):
        container.remove(force=True)
