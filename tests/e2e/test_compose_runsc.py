"""`make up SANDBOX_RUNTIME=runsc`: user code runs under gVisor in the stack's dedicated engine, which the
stack brings itself (no edit of the host's engine), and the host's Docker socket reaches no Botmoon container."""

import json

import docker
import pytest

from botmoon_testing.compose import Stack

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(1200)]

ENGINE = ["docker", "--host=unix:///run/dind/docker.sock"]


@pytest.fixture(scope="module")
def gvisor_stack(images):
    stack = Stack(prefix="botmoon-e2e-runsc", image_tag=images, MARKETDATA_EXCHANGE_ACCESS="false",
                  SANDBOX_RUNTIME="runsc")
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}


def in_engine(stack: Stack, *args: str) -> str:
    [engine] = stack.containers("engine")
    exit_code, output = engine.exec_run([*ENGINE, *args])
    assert exit_code == 0, output.decode(errors="replace")
    return output.decode()


def test_user_code_runs_under_gvisor_in_the_stacks_own_engine(gvisor_stack):
    assert gvisor_stack.settings_of("sandbox")["runtime"] == "runsc"
    [sandbox] = gvisor_stack.containers("sandbox")
    passed = next(json.loads(line) for line in sandbox.logs().decode().splitlines() if "start-up probes passed" in line)
    host_kernel = in_engine(gvisor_stack, "info", "--format", "{{.KernelVersion}}").strip()
    assert passed["runtime"] == "runsc" and passed["found"]["kernel"] != host_kernel
    with gvisor_stack.client() as client:
        reply = client.post("/api/ai/execute", json={"code": "import numpy as np\nresult = float(np.mean([1, 2, 3]))"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["result"] == 2.0
    # The warm pool's containers are in the dedicated engine, under runsc; none of them in the host's.
    ids = in_engine(gvisor_stack, "ps", "-q", "--filter", "label=botmoon.sandbox=1").split()
    assert ids
    [engine] = gvisor_stack.containers("engine")
    runtimes = []
    for container_id in ids:  # one by one: the pool may remove a container between the listing and this
        exit_code, output = engine.exec_run([*ENGINE, "inspect", "--format", "{{.HostConfig.Runtime}}", container_id])
        if exit_code == 0:
            runtimes.append(output.decode().strip())
    assert runtimes and set(runtimes) == {"runsc"}, runtimes
    on_host = {"label": f"botmoon.sandbox.pool={gvisor_stack.pool}"}
    assert not docker.from_env().containers.list(all=True, filters=on_host)


def test_no_botmoon_container_has_the_hosts_docker_socket(gvisor_stack):
    for service in ("sandbox", "engine", "gateway", "backtest", "marketdata"):
        for container in gvisor_stack.containers(service):
            sources = {mount.get("Source") for mount in container.attrs["Mounts"]}
            assert not {"/var/run/docker.sock", "/run/docker.sock"} & sources, (service, sources)
