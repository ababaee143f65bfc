"""The engine's own ceiling: bare `docker run --rm --network none` of the runner image, N at a time."""

import concurrent.futures
import os
import subprocess
import time

from bench.cpu_accounting import CpuLedger
from bench.sandbox_runtimes import Target

RUNNER_IMAGE = os.environ.get("SANDBOX_RUNNER_IMAGE", "botmoon/sandbox-runner:latest")


def command(target: Target) -> list[str]:
    runtime = ["--runtime", target.runtime] if target.runtime != "runc" else []
    return ["docker", "run", "--rm", "--network", "none", *runtime, "--entrypoint", "python", RUNNER_IMAGE,
            "-I", "-S", "-c", "pass"]


def ceiling(target: Target, seconds: float, parallel: int = 4) -> dict:
    """Containers started, run and removed per second, `parallel` loops for `seconds`; CPU split per run."""
    env = {**os.environ, **target.env()}
    argv = command(target)
    subprocess.run(argv, env=env, check=True, capture_output=True)  # image and runtime warm, and it works
    with CpuLedger({os.getpid(): "bench client"}, target.runtime) as ledger:
        t0 = time.monotonic()

        def loop() -> int:
            n = 0
            while time.monotonic() - t0 < seconds:
                subprocess.run(argv, env=env, check=True, capture_output=True)
                n += 1
            return n

        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            done = sum(f.result() for f in [pool.submit(loop) for _ in range(parallel)])
        elapsed = time.monotonic() - t0
    return {"executions": done, "seconds": elapsed, "rate": done / elapsed,
            "cpu_per_exec": ledger.machine_s / done, "ledger": ledger}
