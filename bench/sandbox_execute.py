"""POST /api/ai/execute of the seed's hello-world through the gateway: warm pool, cold, sustained."""

import concurrent.futures
import os
import tempfile
import time

import httpx

from bench.report import summary_ms, verdict, write_section
from botmoon_testing.docker_state import remove_pool
from botmoon_testing.processes import Gateway, Sandbox

HELLO = {"code": "# My algorithm\nprint('Hello from AI!')\nresult = 42", "name": "MyAlgorithm"}


def _stack(pool_name: str, **sandbox_settings):
    sandbox = Sandbox(pool_name, **sandbox_settings).start()
    db = os.path.join(tempfile.mkdtemp(), "bench.db")
    gateway = Gateway(sandbox.address, f"sqlite:///{db}").start()
    return sandbox, gateway


def _stop(sandbox: Sandbox, gateway: Gateway) -> None:
    gateway.stop()
    sandbox.stop()
    remove_pool(sandbox.pool_name)


def _one(client: httpx.Client) -> float:
    started = time.perf_counter()
    reply = client.post("/api/ai/execute", json=HELLO)
    elapsed = time.perf_counter() - started
    body = reply.json()
    if reply.status_code != 200 or body["output"] != "Hello from AI!\n" or body["result"] != 42:
        raise RuntimeError(f"bad reply: {reply.status_code} {body}")
    return elapsed


def paced(pool_size: int, requests: int, warmup: int) -> dict:
    """One request per second, after a warm-up."""
    sandbox, gateway = _stack(f"bench-paced-{pool_size}", pool_size=pool_size)
    try:
        with httpx.Client(base_url=gateway.url, timeout=60) as client:
            for _ in range(warmup):
                _one(client)
                time.sleep(1)
            samples = []
            for _ in range(requests):
                tick = time.monotonic()
                samples.append(_one(client))
                time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        return summary_ms(samples)
    finally:
        _stop(sandbox, gateway)


def _cpu_seconds() -> float:
    fields = open("/proc/stat").readline().split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def sustained(seconds: float, workers: int) -> dict:
    """As many executions as the machine sustains, each in a fresh container."""
    sandbox, gateway = _stack("bench-sustained", pool_size=workers, max_concurrent=workers, queue_size=64)
    try:
        with httpx.Client(base_url=gateway.url, timeout=120) as client:
            for _ in range(workers):
                _one(client)
            time.sleep(5)  # let the pool refill before measuring
            done = 0
            cpu0, t0 = _cpu_seconds(), time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                def loop() -> int:
                    n = 0
                    while time.monotonic() - t0 < seconds:
                        _one(client)
                        n += 1
                    return n

                done = sum(f.result() for f in [pool.submit(loop) for _ in range(workers)])
            elapsed, cpu = time.monotonic() - t0, _cpu_seconds() - cpu0
        return {"executions": done, "seconds": elapsed, "rate": done / elapsed, "cpu_per_exec": cpu / done}
    finally:
        _stop(sandbox, gateway)


def run(quick: bool = False) -> None:
    warm = paced(pool_size=2, requests=20 if quick else 60, warmup=5)
    cold = paced(pool_size=0, requests=10 if quick else 20, warmup=2)
    rate = sustained(seconds=15 if quick else 30, workers=3)
    body = f"""
Seed hello-world (`print('Hello from AI!')`, `result = 42`) through `POST /api/ai/execute`: gateway
and sandbox as processes on loopback, the sandbox on the local Docker engine, each execution in a
fresh container.

| case | n | p50 | p99 | max | target |
|---|---|---|---|---|---|
| warm pool (size 2), 1 request/s | {warm['n']} | {warm['p50']:.1f} ms | {warm['p99']:.1f} ms | {warm['max']:.1f} ms | p50 ≤ 30 ms: {verdict(warm['p50'], 30)}; p99 ≤ 150 ms: {verdict(warm['p99'], 150)} |
| pool size 0 (cold start per request), 1 request/s | {cold['n']} | {cold['p50']:.0f} ms | {cold['p99']:.0f} ms | {cold['max']:.0f} ms | p50 ≤ 1.5 s: {verdict(cold['p50'], 1500)} |

Sustained, a fresh container for every execution (pool 3, 3 clients, {rate['seconds']:.0f} s):
**{rate['rate']:.2f} executions/s** (target ≥ 4: {verdict(rate['rate'], 4, lower_is_better=False)}), costing
**{rate['cpu_per_exec']:.2f} CPU-seconds** of the machine per execution (all processes: dockerd,
containerd, runc, the container's interpreter and its numpy/pandas imports, the services).
"""
    write_section("sandbox-execute", "Sandbox: execute latency and throughput", body)
    print(body)
