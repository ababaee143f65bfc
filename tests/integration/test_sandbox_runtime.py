"""The runtime in force is the configured one, or the sandbox does not serve: real engines, real probes.

One dedicated engine (the sandbox-engine image, as compose runs it) with gVisor registered as `runsc`, and a liar:
`crun` registered with runsc's binary, so docker info and the container's HostConfig both say crun while the code
inside runs on gVisor's kernel."""

import json
import time
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from botmoon.sandbox.v1 import sandbox_pb2 as pb
from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_testing.processes import Sandbox
from botmoon_testing.sandbox_engine import DedicatedEngine

pytestmark = pytest.mark.docker

GVISOR = {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none", "--platform=ptrace"]}


@pytest.fixture(scope="module")
def engine():
    engine = DedicatedEngine(config={"runtimes": {"runsc": GVISOR, "crun": GVISOR}}).start()
    yield engine
    engine.stop()


def sandbox_on(engine: DedicatedEngine, runtime: str) -> Sandbox:
    return Sandbox(f"runtime-{uuid.uuid4().hex[:8]}", env={"DOCKER_HOST": engine.docker_host},
                   pool_size=1, runtime=runtime)


def refusal(service: Sandbox, timeout: float = 120) -> dict:
    """The service's "not ready" log line, once it has logged one; the service must still be NOT_SERVING."""
    service.process.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.process.assert_alive()
        lines = [json.loads(line) for line in service.process.logs().splitlines() if "start-up probe failed" in line]
        if lines:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"no refusal logged:\n{service.process.logs()[-3000:]}")
    with grpc.insecure_channel(service.address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
        with pytest.raises(grpc.RpcError) as refused:
            sandbox_pb2_grpc.SandboxServiceStub(channel).Execute(pb.ExecuteRequest(code="result = 1"), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    return lines[-1]


def test_a_runtime_the_engine_lacks_is_refused_naming_the_ones_it_has(engine):
    service = sandbox_on(engine, "nonexistent")
    try:
        line = refusal(service)
    finally:
        service.stop()
    assert line["level"] == "ERROR" and line["runtime"] == "nonexistent"
    assert "'nonexistent' is not registered in the Docker engine" in line["reason"]
    assert "runc" in line["reason"] and "runsc" in line["reason"]


def test_a_runtime_whose_name_is_registered_but_another_kernel_runs_the_code_is_refused(engine):
    assert "crun" in engine.info()["Runtimes"]  # registered, and set on the containers: only the inside can tell
    service = sandbox_on(engine, "crun")
    try:
        line = refusal(service)
    finally:
        service.stop()
    assert line["reason"].startswith("runtime 'crun' should show the engine's kernel inside the container, "
                                     "but the probe saw gVisor's kernel"), line["reason"]


def test_gvisor_in_the_dedicated_engine_serves_and_user_code_sees_its_kernel(engine):
    service = sandbox_on(engine, "runsc").start()
    try:
        passed = next(json.loads(line) for line in service.process.logs().splitlines()
                      if "start-up probes passed" in line)
        assert passed["runtime"] == "runsc"
        assert passed["found"]["kernel"] != engine.info()["KernelVersion"]
        assert passed["found"]["no_new_privs"] == 1  # asked of gVisor with prctl: its /proc/self/status lacks it
        with grpc.insecure_channel(service.address) as channel:
            reply = sandbox_pb2_grpc.SandboxServiceStub(channel).Execute(pb.ExecuteRequest(
                code="import os\nresult = os.uname().release", skip_validation=True), timeout=60)
        assert reply.status == pb.EXECUTION_STATUS_COMPLETED, reply
        assert json.loads(reply.result_json) == passed["found"]["kernel"]
    finally:
        service.stop()
