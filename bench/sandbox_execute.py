"""The sandbox through the gateway, per container runtime, in one run: the engine's own ceiling (bare
`docker run`), then hello-world and numpy+pandas sustained, warm and cold latency; where the CPU goes."""

import concurrent.futures
import contextlib
import dataclasses
import json
import os
import tempfile
import time

import docker
import httpx

from bench.cpu_accounting import CpuLedger
from bench.report import summary_ms, verdict, write_section
from bench.sandbox_ceiling import ceiling
from bench.sandbox_cpu_table import cpu_section
from bench.sandbox_runtimes import DedicatedEngine, Target, needs_dedicated, targets
from botmoon_testing.processes import Gateway, Sandbox

HELLO = {"code": "# My algorithm\nprint('Hello from AI!')\nresult = 42", "name": "MyAlgorithm"}
HELLO_OUTPUT = "Hello from AI!\n"
NUMERIC = {"code": "import numpy as np\nimport pandas as pd\n"
                   "prices = pd.Series(np.arange(1.0, 201.0))\n"
                   "print(round(prices.rolling(20).mean().iloc[-1], 2))\nresult = float(prices.sum())",
           "name": "Numeric"}
NUMERIC_OUTPUT = "190.5\n"
PARALLEL = 4  # the ceiling's loops; Botmoon's clients and its executions at once
WARM_P50_MS = {"runc": 15.0, "runsc": 50.0}
NUMERIC_RATE = 4.0
CEILING_SHARE = 0.8
QUICK_NOTE = " (`--quick`: short windows)"


class Stack:
    """A sandbox process on the target's engine and a gateway in front of it, on loopback."""

    def __init__(self, target: Target, pool_name: str, **sandbox_settings):
        self.target, self.pool_name = target, pool_name
        runtime = {"runtime": target.sandbox_runtime} if target.sandbox_runtime else {}
        self.sandbox = Sandbox(pool_name, **runtime, **sandbox_settings)
        self.sandbox.process.env.update(target.env())
        self.db = os.path.join(tempfile.mkdtemp(), "bench.db")

    def __enter__(self) -> "Stack":
        self.sandbox.start()
        self.gateway = Gateway(self.sandbox.address, f"sqlite:///{self.db}").start()
        return self

    def __exit__(self, *exc) -> None:
        self.gateway.stop()
        self.sandbox.stop()
        client = docker.DockerClient(base_url=self.target.docker_host) if self.target.docker_host \
            else docker.from_env()
        try:
            for c in client.api.containers(all=True, filters={"label": f"botmoon.sandbox.pool={self.pool_name}"}):
                try:
                    client.api.remove_container(c["Id"], force=True)
                except docker.errors.APIError:
                    pass  # already gone or being removed
        finally:
            client.close()

    def named(self) -> dict[int, str]:
        return {os.getpid(): "bench client", self.sandbox.process.proc.pid: "sandbox service",
                self.gateway.process.proc.pid: "gateway"}


def _one(client: httpx.Client, payload: dict = HELLO, output: str = HELLO_OUTPUT) -> float:
    started = time.perf_counter()
    reply = client.post("/api/ai/execute", json=payload)
    elapsed = time.perf_counter() - started
    body = reply.json()
    if reply.status_code != 200 or body.get("output") != output or body.get("success") is not True:
        raise RuntimeError(f"bad reply: {reply.status_code} {body}")
    return elapsed


def paced(target: Target, requests: int, warmup: int, **pool) -> dict:
    """One hello-world per second, after a warm-up."""
    with Stack(target, f"bench-{'cold' if pool else 'warm'}-{target.runtime}", **pool) as stack, \
            httpx.Client(base_url=stack.gateway.url, timeout=60) as client:
        for _ in range(warmup):
            _one(client)
            time.sleep(1)
        samples = []
        for _ in range(requests):
            tick = time.monotonic()
            samples.append(_one(client))
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    return summary_ms(samples)


def sustained(target: Target, payload: dict, output: str, seconds: float) -> dict:
    """As many executions as the machine sustains, PARALLEL clients, each execution in a fresh container from
    the pools as shipped (their default sizes)."""
    with Stack(target, f"bench-sustained-{target.runtime}", max_concurrent=PARALLEL, queue_size=64) as stack, \
            httpx.Client(base_url=stack.gateway.url, timeout=120) as client:
        for _ in range(PARALLEL):
            _one(client, payload, output)
        time.sleep(5)  # let the pool refill before measuring
        with CpuLedger(stack.named(), target.runtime) as ledger:
            t0 = time.monotonic()

            def loop() -> int:
                n = 0
                while time.monotonic() - t0 < seconds:
                    _one(client, payload, output)
                    n += 1
                return n

            with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
                done = sum(f.result() for f in [pool.submit(loop) for _ in range(PARALLEL)])
            elapsed = time.monotonic() - t0
    return {"executions": done, "seconds": elapsed, "rate": done / elapsed,
            "cpu_per_exec": ledger.machine_s / done, "ledger": ledger}


def measure(target: Target, quick: bool) -> dict:
    seconds = 15 if quick else 30
    return {
        "ceiling": ceiling(target, seconds, PARALLEL),
        "hello": sustained(target, HELLO, HELLO_OUTPUT, seconds),
        "numeric": sustained(target, NUMERIC, NUMERIC_OUTPUT, seconds),
        "warm": paced(target, requests=20 if quick else 60, warmup=5),
        "cold": paced(target, requests=10 if quick else 20, warmup=2, pool_size=0),
    }


def _measured_or_why(target: Target, quick: bool) -> tuple[Target, dict | None]:
    """A target's measurements, or the target marked not run with what stopped it (the other targets go on)."""
    if target.skipped:
        return target, None
    try:
        return target, measure(target, quick)
    except Exception as exc:  # noqa: BLE001 - any failure of one target is reported in its rows
        return dataclasses.replace(target, skipped=f"it failed: {_why(exc)}"), None


def _why(exc: Exception) -> str:
    """The last thing a failing service said (its log's last reason), else the exception's first line."""
    for line in reversed(str(exc).splitlines()):
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("reason"):
                return f"{record.get('message', '')}: {record['reason']}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _rate(r: dict) -> str:
    return f"{r['rate']:.2f}/s, {r['cpu_per_exec']:.2f} CPU-s each"


def _cells(target: Target, m: dict | None) -> dict[str, str]:
    if m is None:
        return dict.fromkeys(("ceiling", "hello", "numeric", "warm", "cold"), "not run (below)")
    share = m["hello"]["rate"] / m["ceiling"]["rate"]
    warm_target = WARM_P50_MS.get(target.runtime, 50.0)
    return {
        "ceiling": _rate(m["ceiling"]),
        "hello": f"{_rate(m['hello'])}; **{share:.0%}** of the ceiling: "
                 f"{verdict(share, CEILING_SHARE, lower_is_better=False)}",
        "numeric": f"{_rate(m['numeric'])}: {verdict(m['numeric']['rate'], NUMERIC_RATE, lower_is_better=False)}",
        "warm": f"p50 **{m['warm']['p50']:.1f} ms** (≤ {warm_target:.0f} ms: "
                f"{verdict(m['warm']['p50'], warm_target)}), p99 {m['warm']['p99']:.1f} ms, n={m['warm']['n']}",
        "cold": f"p50 {m['cold']['p50']:.0f} ms (≤ 1.5 s: {verdict(m['cold']['p50'], 1500)}), "
                f"p99 {m['cold']['p99']:.0f} ms, n={m['cold']['n']}",
    }


ROWS = (("ceiling", f"engine ceiling: bare `docker run --rm --network none` of the runner image, `python -I -S -c "
                    f"pass`, {PARALLEL} at a time"),
        ("hello", f"hello-world sustained, {PARALLEL} clients (target ≥ {CEILING_SHARE:.0%} of the ceiling)"),
        ("numeric", f"numpy+pandas snippet sustained, {PARALLEL} clients (target ≥ {NUMERIC_RATE:.0f}/s)"),
        ("warm", "hello-world, warm pools as shipped, 1 request/s"),
        ("cold", "hello-world, pool size 0 (cold start per request), 1 request/s"))


def run(quick: bool = False) -> None:
    load = os.getloadavg()[1]
    with DedicatedEngine() if needs_dedicated() else contextlib.nullcontext() as dedicated:
        results = [_measured_or_why(t, quick) for t in targets(dedicated)]
    cells = [_cells(t, m) for t, m in results]
    header = "| case | " + " | ".join(t.label if not t.skipped else t.runtime for t, _ in results) + " |"
    rows = "\n".join(f"| {label} | " + " | ".join(c[key] for c in cells) + " |" for key, label in ROWS)
    seconds = next((m["hello"]["seconds"] for _, m in results if m), 0)
    body = f"""
Through `POST /api/ai/execute` (gateway and sandbox as processes on loopback), each execution in a fresh
container, every runtime in the same run. Hello-world is the seed's example (`print('Hello from AI!')`,
`result = 42`); the numpy+pandas snippet imports both and takes a rolling mean. Sustained rows run for about
{seconds:.0f} s each after the pool has filled; CPU-s per execution is the whole machine's CPU time
(`/proc/stat`, all processes) over that window divided by the executions completed in it. The host's load
average (5 min) when the run began: {load:.1f} on {os.cpu_count()} cores{QUICK_NOTE if quick else ""}.

{header}
|---|{"---|" * len(results)}
{rows}
"""
    for target, _ in (r for r in results if r[1] is None):
        body += f"\n{target.runtime} not run: {target.skipped}.\n"
    write_section("sandbox-execute", "Sandbox: execute throughput and latency, per runtime", body)
    print(body)
    rates = {t: {"hello": CEILING_SHARE * m["ceiling"]["rate"], "numeric": NUMERIC_RATE} for t, m in results if m}
    cpu = cpu_section([(t, m) for t, m in results if m], [t for t, m in results if m is None], rates)
    write_section("sandbox-cpu", "Sandbox: where the CPU goes, per execution", cpu)
    print(cpu)
