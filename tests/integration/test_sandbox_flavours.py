"""Warm pools by flavour, against the real engine: each request runs in the cheapest flavour that has what its
code imports, sessions in the numeric one; isolation holds in every flavour; pools follow demand."""

import json
import threading
import time
import uuid

import docker
import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from botmoon.sandbox.v1 import sandbox_pb2 as pb
from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_sandbox.probes import PROBE_CODE, failures
from botmoon_testing.docker_state import remove_pool
from botmoon_testing.processes import Sandbox

pytestmark = pytest.mark.docker

STDLIB, NUMPY, NUMERIC = "stdlib", "numpy", "numpy+pandas"
# Code of each flavour: its import statements are what picks the flavour.
IMPORTS = {STDLIB: "", NUMPY: "import numpy\n", NUMERIC: "import pandas\n"}
LOADED = '''
import sys
loaded = sorted(m for m in ("numpy", "pandas") if m in sys.modules)
try:
    __import__("numpy")
    numpy = "importable"
except ImportError as exc:
    numpy = type(exc).__name__
'''
HELLO = "print('Hello from AI!')\nresult = 42"
STRATEGY = """
class Halves:
    def __init__(self, params):
        self.n = 2

    def generate_signals(self, data):
        return {"signals": []}

    def calculate_tp_sl_levels(self, entry, side):
        return entry * self.n, entry / self.n
"""
STDLIB_MIN, STDLIB_MAX = 1, 4


@pytest.fixture(scope="module")
def flavoured():
    service = Sandbox(f"flavours-{uuid.uuid4().hex[:8]}", pool_size=8, wall_time_s=5, max_output_bytes=65536,
                      pool_stdlib_min=STDLIB_MIN, pool_stdlib_max=STDLIB_MAX, pool_numpy_min=0, pool_numpy_max=1,
                      pool_numpy_pandas_min=1, pool_numpy_pandas_max=2, pool_demand_half_life_s=1.5)
    try:
        service.start()
        yield service
    finally:
        service.stop()
        remove_pool(service.pool_name)


@pytest.fixture(scope="module")
def stub(flavoured):
    with grpc.insecure_channel(flavoured.address) as channel:
        yield sandbox_pb2_grpc.SandboxServiceStub(channel)


def run(stub, code: str, skip_validation: bool = False) -> pb.ExecuteResponse:
    return stub.Execute(pb.ExecuteRequest(code=code, skip_validation=skip_validation), timeout=60)


def completed(reply: pb.ExecuteResponse):
    assert reply.status == pb.EXECUTION_STATUS_COMPLETED, reply
    return json.loads(reply.result_json)


def metric(service: Sandbox, name: str, **labels: str) -> float:
    text = httpx.get(service.metrics_url, timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and labels.items() <= s.labels.items())


def taken(service: Sandbox, flavour: str) -> float:
    return metric(service, "botmoon_sandbox_pool_acquisitions_total", flavour=flavour)


def wait_for(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def test_hello_world_takes_a_warm_stdlib_container(flavoured, stub):
    assert wait_for(lambda: metric(flavoured, "botmoon_sandbox_pool_warm_containers", flavour=STDLIB) >= 1)
    warm_before = metric(flavoured, "botmoon_sandbox_pool_acquisitions_total", flavour=STDLIB, source="warm")
    before = {f: taken(flavoured, f) for f in IMPORTS}
    reply = run(stub, HELLO)
    assert completed(reply) == 42 and reply.stdout == "Hello from AI!\n"
    assert {f: taken(flavoured, f) - before[f] for f in IMPORTS} == {STDLIB: 1, NUMPY: 0, NUMERIC: 0}
    assert metric(flavoured, "botmoon_sandbox_pool_acquisitions_total", flavour=STDLIB, source="warm") \
        == warm_before + 1


@pytest.mark.parametrize(("flavour", "loaded", "numpy"), [
    (STDLIB, [], "ModuleNotFoundError"),  # not imported, and not even installed as far as its code can see
    (NUMPY, ["numpy"], "importable"),
    (NUMERIC, ["numpy", "pandas"], "importable"),
])
def test_code_runs_in_the_cheapest_flavour_that_has_its_imports(flavoured, stub, flavour, loaded, numpy):
    before = taken(flavoured, flavour)
    # `sys` is not allowed past validation: the check itself skips it; its import statements still pick.
    found = completed(run(stub, IMPORTS[flavour] + LOADED + "result = [loaded, numpy]", skip_validation=True))
    assert found == [loaded, numpy]
    assert taken(flavoured, flavour) == before + 1


@pytest.mark.parametrize(("code", "flavour", "expected"), [
    ("import math\nresult = math.factorial(5)", STDLIB, 120),
    ("import numpy as np\nresult = int(np.arange(4).sum())", NUMPY, 6),
    ("import numpy as np\nimport pandas as pd\nresult = float(pd.Series(np.arange(4)).mean())", NUMERIC, 1.5),
])
def test_validated_code_takes_the_flavour_its_imports_need(flavoured, stub, code, flavour, expected):
    before = {f: taken(flavoured, f) for f in IMPORTS}
    assert completed(run(stub, code)) == expected
    assert {f: taken(flavoured, f) - before[f] for f in IMPORTS} == {f: int(f == flavour) for f in IMPORTS}


def test_a_strategy_session_runs_in_the_numeric_flavour(flavoured, stub):
    before = {f: taken(flavoured, f) for f in IMPORTS}
    code = STRATEGY
    requests = [pb.SessionRequest(op="load", args_json=json.dumps({"code": code})),
                pb.SessionRequest(op="levels", args_json=json.dumps({"entries": [[10.0, "long"]]}))]
    replies = list(stub.Session(iter(requests), timeout=60))
    assert [r.ok for r in replies] == [True, True], replies
    assert json.loads(replies[1].value_json) == [[20.0, 5.0]]
    assert {f: taken(flavoured, f) - before[f] for f in IMPORTS} == {STDLIB: 0, NUMPY: 0, NUMERIC: 1}


@pytest.mark.parametrize("flavour", list(IMPORTS))
def test_isolation_holds_in_every_flavour(stub, flavour):
    found = completed(run(stub, IMPORTS[flavour] + PROBE_CODE, skip_validation=True))
    assert failures(found) == {}, found


@pytest.mark.parametrize("flavour", list(IMPORTS))
def test_hostile_code_is_stopped_in_every_flavour(stub, flavour):
    forks = run(stub, IMPORTS[flavour] + "import os\nwhile True:\n    os.fork()", skip_validation=True)
    assert (forks.status, forks.kill_reason) == (pb.EXECUTION_STATUS_KILLED, "process limit of 64 reached"), forks
    memory = run(stub, IMPORTS[flavour] + "blocks = []\nwhile True:\n    blocks.append(bytearray(50 << 20))",
                 skip_validation=True)
    assert memory.status == pb.EXECUTION_STATUS_KILLED and "memory" in memory.kill_reason, memory
    loop = run(stub, IMPORTS[flavour] + "while True:\n    pass", skip_validation=True)
    assert loop.status == pb.EXECUTION_STATUS_TIMEOUT, loop
    assert completed(run(stub, IMPORTS[flavour] + "result = 6 * 7", skip_validation=True)) == 42


def test_a_pool_grows_under_demand_and_shrinks_back_to_its_minimum_when_idle(flavoured, stub):
    def gauge(name: str) -> float:
        return metric(flavoured, f"botmoon_sandbox_pool_{name}", flavour=STDLIB)

    assert wait_for(lambda: gauge("target_containers") == STDLIB_MIN)
    stop = threading.Event()
    errors: list[str] = []

    def client():
        while not stop.is_set():
            reply = run(stub, HELLO)
            if reply.status != pb.EXECUTION_STATUS_COMPLETED:
                errors.append(str(reply))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    peak = {"target": 0.0, "warm_or_starting": 0.0}
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            peak["target"] = max(peak["target"], gauge("target_containers"))
            peak["warm_or_starting"] = max(peak["warm_or_starting"],
                                           gauge("warm_containers") + gauge("starting_containers"))
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert not errors, errors[:1]
    assert STDLIB_MIN < peak["target"] <= STDLIB_MAX, peak
    assert peak["warm_or_starting"] > STDLIB_MIN, peak
    assert metric(flavoured, "botmoon_sandbox_pool_demand_per_second", flavour=STDLIB) > 0.5
    # Idle: the demand decays (half-life 1.5 s), the target returns to the minimum, the surplus expires.
    assert wait_for(lambda: gauge("target_containers") == STDLIB_MIN
                    and gauge("warm_containers") + gauge("starting_containers") == STDLIB_MIN, timeout=45), {
        name: gauge(name) for name in ("target_containers", "warm_containers", "starting_containers",
                                       "demand_per_second")}
    assert wait_for(lambda: len(sandbox_containers(flavoured.pool_name, STDLIB)) == STDLIB_MIN)


def sandbox_containers(pool_name: str, flavour: str) -> list[str]:
    filters = {"label": [f"botmoon.sandbox.pool={pool_name}", f"botmoon.sandbox.flavour={flavour}"]}
    return [c["Id"] for c in docker.from_env().api.containers(all=True, filters=filters)]
