"""A strategy loaded in a sandbox container (a backtest, a live run), called through the Session stream."""

import asyncio
import json

import grpc

from botmoon.sandbox.v1 import sandbox_pb2, sandbox_pb2_grpc
from botmoon_common import request_id


class StrategyFailed(Exception):
    """The strategy's code raised, was rejected, or its container was stopped."""

    def __init__(self, message: str, error: dict | None = None, status: str = "failed",
                 problems: list | None = None):
        super().__init__(message)
        self.error = error or {"type": "StrategyError", "message": message, "traceback": "", "line": 0}
        self.status = status
        self.problems = problems or []


_STATUS_NAMES = {v: k.removeprefix("EXECUTION_STATUS_").lower()
                 for k, v in sandbox_pb2.ExecutionStatus.items()}


class StrategySession:
    def __init__(self, stub: sandbox_pb2_grpc.SandboxServiceStub, timeout_s: float):
        self._requests: asyncio.Queue = asyncio.Queue()
        self._call = stub.Session(self._iterate(), timeout=timeout_s, metadata=request_id.outgoing_metadata())
        self.output: list[str] = []
        self.ended = False  # the sandbox ended the session (EOF, or a status other than completed)
        self.candles_key = None  # what send_candles was given as `key` last (the candles the strategy holds)

    async def _iterate(self):
        while (request := await self._requests.get()) is not None:
            yield request

    async def _ask(self, op: str, args: dict | None = None, binary: bytes = b""):
        await self._requests.put(sandbox_pb2.SessionRequest(op=op, args_json=json.dumps(args or {}),
                                                            binary=binary))
        reply = await self._call.read()
        if reply is grpc.aio.EOF:
            self.ended = True
            raise StrategyFailed("the sandbox ended the session")
        if reply.stdout:
            self.output.append(reply.stdout)
        if reply.status != sandbox_pb2.EXECUTION_STATUS_COMPLETED:
            self.ended = True
            status = _STATUS_NAMES.get(reply.status, "failed")
            message = reply.kill_reason or reply.error.message or status
            raise StrategyFailed(f"strategy {status}: {message}", _error(reply) if reply.HasField("error") else None,
                                 status, [_problem(p) for p in reply.problems])
        if not reply.ok:
            raise StrategyFailed(f"{reply.error.type}: {reply.error.message}", _error(reply))
        try:  # the strategy's own value: the sandbox bounds its size but leaves parsing (once) to its consumer
            return json.loads(reply.value_json) if reply.value_json else None
        except (json.JSONDecodeError, RecursionError) as exc:
            raise StrategyFailed(f"the strategy's reply to {op!r} is not JSON: {exc}") from None

    async def load(self, code: str, params: dict) -> dict:
        """Loads the strategy class with its params: {class, has_levels, has_size}."""
        return await self._ask("load", {"code": code, "params": params})

    async def send_candles(self, time_ms, columns: list, key=None) -> None:
        """Open times (ms) and the open, high, low, close, volume columns, as arrays or sequences; `key` names
        them (candles_key) so that a caller can tell whether the strategy holds them already."""
        import numpy as np  # only the callers that send candles need numpy

        payload = np.ascontiguousarray(time_ms, dtype="<i8").tobytes() + b"".join(
            np.ascontiguousarray(c, dtype="<f8").tobytes() for c in columns)
        self.candles_key = None
        await self._ask("candles", {"rows": len(time_ms)}, payload)
        self.candles_key = key

    async def signals(self, end: int | None = None):
        return await self._ask("signals", {} if end is None else {"end": end})

    async def levels(self, entries: list[tuple[float, str]]) -> list:
        return await self._ask("levels", {"entries": [[float(p), s] for p, s in entries]})

    async def size(self, capital: float, entry: float, sl: float | None, side: str):
        return await self._ask("size", {"capital": capital, "entry": entry, "sl": sl, "side": side})

    async def close(self) -> None:
        await self._requests.put(None)
        try:
            while await self._call.read() is not grpc.aio.EOF:
                pass
        except grpc.aio.AioRpcError:
            pass


def _error(reply) -> dict:
    e = reply.error
    return {"type": e.type, "message": e.message, "traceback": e.traceback, "line": e.line}


def _problem(p) -> dict:
    return {"line": p.line, "column": p.column, "rule": p.rule, "message": p.message}
