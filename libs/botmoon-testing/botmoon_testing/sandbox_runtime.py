"""Pytest plugin: the container runtime the sandbox's tests run user code under (`--sandbox-runtime`).

runc (default): the host's Docker engine, as before. runsc (gVisor): a dedicated engine from the sandbox-engine
image (botmoon_testing.sandbox_engine), started for the run and removed after it; every sandbox service the
tests start then drives it (DOCKER_HOST) with SANDBOX_RUNTIME=runsc, and so do the tests' own Docker clients.
The host's daemon.json is never edited. Run it on the sandbox's tests only (`make test-runsc`): a compose stack
started under it would reach the dedicated engine too."""

import os

import pytest

from botmoon_testing.sandbox_engine import DedicatedEngine

_engine: list[DedicatedEngine] = []


def pytest_addoption(parser):
    parser.addoption("--sandbox-runtime", choices=("runc", "runsc"),
                     default=os.environ.get("BOTMOON_TEST_SANDBOX_RUNTIME", "runc"),
                     help="runtime of user-code containers (runsc: gVisor, in a dedicated Docker engine)")


def pytest_configure(config):
    runtime = config.getoption("--sandbox-runtime")
    if runtime == "runc" or hasattr(config, "workerinput"):
        return
    engine = DedicatedEngine(os.environ.get("BOTMOON_TEST_IMAGE_TAG", "latest")).start()
    _engine.append(engine)
    os.environ["DOCKER_HOST"] = engine.docker_host
    os.environ["SANDBOX_RUNTIME"] = runtime


def pytest_unconfigure(config):
    while _engine:
        _engine.pop().stop()


def pytest_report_header(config):
    runtime = config.getoption("--sandbox-runtime")
    return f"sandbox runtime: {runtime}" + (f" (dedicated engine {_engine[0].name})" if _engine else "")


@pytest.fixture(scope="session")
def sandbox_runtime(request) -> str:
    return request.config.getoption("--sandbox-runtime")
