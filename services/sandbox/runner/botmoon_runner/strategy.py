"""A strategy session: load the submitted class once, then answer the backtest's calls on it.

Only what the strategy's methods return goes back; the simulation and every number reported are
computed by the backtest service."""

import builtins
import contextlib
import json
import math

import numpy as np
import pandas as pd

from botmoon_runner.capture import CappedText
from botmoon_runner.execute import USER_FILENAME, describe_exception, register_source
from botmoon_runner.jsonable import to_jsonable

COLUMNS = ("time", "open", "high", "low", "close", "volume")


class StrategyError(Exception):
    """The submitted code does not define a usable strategy."""


class ReplyTooLarge(Exception):
    """What a strategy method returned is larger, as JSON, than a reply may be."""


class Session:
    def __init__(self, max_output: int, max_value: int):
        self._max_output = max_output
        self._max_value = max_value
        self._strategy = None
        self._candles: pd.DataFrame | None = None

    def handle(self, request: dict) -> dict:
        """The reply to one call: ok and the JSON of the value under `value_json`, or the error it raised."""
        out, err = CappedText(self._max_output), CappedText(self._max_output)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                value = self._dispatch(request)
            reply = {"status": "completed", "ok": True, "value_json": self._encode(value)}
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit included
            reply = {"status": "completed", "ok": False, "error": describe_exception(exc)}
        reply.update(stdout=out.getvalue(), stderr=err.getvalue(), truncated=out.truncated or err.truncated)
        return reply

    def _encode(self, value) -> str:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
        if size > self._max_value:
            raise ReplyTooLarge(f"the value returned is {size} bytes of JSON; the limit is {self._max_value}")
        return text

    def _dispatch(self, request: dict):
        op = request.get("op")
        if op == "load":
            return self._load(request["code"], request.get("params") or {})
        if op == "candles":
            self._candles = _frame(request["_payload"], int(request["rows"]))
            return {"rows": len(self._candles)}
        if self._strategy is None:
            raise StrategyError("load the strategy first")
        if op == "signals" and self._candles is None:
            raise StrategyError("send the candles first")
        if op == "signals":
            end = request.get("end")
            data = self._candles if end is None else self._candles.iloc[: int(end)]
            return to_jsonable(self._strategy.generate_signals(data.copy()))
        if op == "levels":
            return [self._levels(float(price), str(side)) for price, side in request["entries"]]
        if op == "size":
            return _number(self._strategy.calculate_position_size(
                float(request["capital"]), float(request["entry"]), _optional(request.get("sl")),
                str(request["side"])))
        raise StrategyError(f"unknown op {op!r}")

    def _load(self, code: str, params: dict) -> dict:
        register_source(code)
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        exec(compile(code, USER_FILENAME, "exec"), namespace)  # noqa: S102 - this process is the sandbox
        classes = [v for v in namespace.values() if isinstance(v, type) and v.__module__ == "__main__"
                   and callable(getattr(v, "generate_signals", None))]
        if not classes:
            raise StrategyError("no class with a generate_signals method")
        if len(classes) > 1:
            raise StrategyError("several strategy classes: " + ", ".join(sorted(c.__name__ for c in classes)))
        cls = classes[0]
        try:
            self._strategy = cls(params)
        except TypeError:
            self._strategy = cls()
            self._strategy.params = params
        return {"class": cls.__name__,
                "has_levels": callable(getattr(cls, "calculate_tp_sl_levels", None)),
                "has_size": callable(getattr(cls, "calculate_position_size", None))}

    def _levels(self, price: float, side: str):
        if not callable(getattr(self._strategy, "calculate_tp_sl_levels", None)):
            return None
        levels = self._strategy.calculate_tp_sl_levels(price, side)
        if levels is None:
            return [None, None]
        tp, sl = levels
        return [_optional(tp), _optional(sl)]


def _frame(payload: bytes, rows: int) -> pd.DataFrame:
    """Candles arrive as six little-endian columns: int64 open times in ms, then float64 OHLCV."""
    arrays = {}
    offset = 0
    for name in COLUMNS:
        dtype = "<i8" if name == "time" else "<f8"
        arrays[name] = np.frombuffer(payload, dtype=dtype, count=rows, offset=offset)
        offset += rows * 8
    index = pd.DatetimeIndex(pd.to_datetime(arrays.pop("time"), unit="ms", utc=True), name="time")
    return pd.DataFrame({k: v.copy() for k, v in arrays.items()}, index=index)


def _optional(value):
    return None if value is None else _number(value)


def _number(value):
    number = float(value)
    return number if math.isfinite(number) else None
