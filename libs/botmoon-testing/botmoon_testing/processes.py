"""Starts Botmoon services as real processes on loopback ports and stops them."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """One service (`python -m <module>`) with its environment, logs captured to a file."""

    def __init__(self, module: str, env: dict[str, str]):
        self.module = module
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log_path = Path(tempfile.mkstemp(prefix=f"{module}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ServiceProcess":
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", self.module], env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._log.close()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assert_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError(f"{self.module} exited:\n{self.logs()[-4000:]}")


def wait_grpc_serving(address: str, proc: ServiceProcess, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            proc.assert_alive()
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise AssertionError(f"{address} not SERVING after {timeout}s:\n{proc.logs()[-4000:]}")


def wait_http_ok(url: str, proc: ServiceProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.assert_alive()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not OK after {timeout}s:\n{proc.logs()[-4000:]}")


class GrpcServiceProcess:
    """A gRPC service (`python -m <module>`) on free loopback ports; `settings` become <PREFIX>_<NAME>."""

    module = ""
    prefix = ""

    def __init__(self, env: dict[str, str] | None = None, **settings):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.metrics_port = free_port()
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        p = self.prefix
        self.process = ServiceProcess(self.module, {
            f"{p}_PORT": str(self.port), f"{p}_HOST": "127.0.0.1", f"{p}_METRICS_PORT": str(self.metrics_port),
            **(env or {}), **{f"{p}_{k.upper()}": str(v) for k, v in settings.items()}})

    def start(self):
        self.process.start()
        wait_grpc_serving(self.address, self.process)
        return self

    def stop(self) -> None:
        self.process.stop()


class Sandbox(GrpcServiceProcess):
    """A sandbox service process with its own pool name (so its containers can be counted)."""

    module, prefix = "botmoon_sandbox", "SANDBOX"

    def __init__(self, pool_name: str, **settings):
        super().__init__(pool_name=pool_name, **settings)
        self.pool_name = pool_name
        self.pool_size = int(settings.get("pool_size", 1))


class MarketData(GrpcServiceProcess):
    """A market data service process, offline by default: the bundled candles in a fresh store."""

    module, prefix = "botmoon_marketdata", "MARKETDATA"

    def __init__(self, store_path: str, **settings):
        super().__init__(**{"store_path": store_path, "exchange_access": "false", **settings})


class BacktestNode(GrpcServiceProcess):
    """A backtest service process, talking to the given sandbox and market data."""

    module, prefix = "botmoon_backtest", "BACKTEST"

    def __init__(self, sandbox_addr: str, marketdata_addr: str, **settings):
        super().__init__({"SANDBOX_ADDR": sandbox_addr, "MARKETDATA_ADDR": marketdata_addr}, **settings)


class Gateway:
    def __init__(self, sandbox_addr: str, database_url: str, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = ServiceProcess("botmoon_gateway", {
            "GATEWAY_PORT": str(self.port), "GATEWAY_HOST": "127.0.0.1", "SANDBOX_ADDR": sandbox_addr,
            "GATEWAY_DATABASE_URL": database_url, **env,
        })

    def start(self) -> "Gateway":
        self.process.start()
        wait_http_ok(f"{self.url}/health", self.process)
        return self

    def stop(self) -> None:
        self.process.stop()
