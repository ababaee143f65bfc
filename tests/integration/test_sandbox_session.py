"""Strategy sessions in a real container: load once, candles once, then calls on the strategy."""

import json

import grpc
import numpy as np
import pytest

from botmoon.sandbox.v1 import sandbox_pb2 as pb

pytestmark = pytest.mark.docker

STRATEGY = '''
import pandas as pd

class Momentum:
    def __init__(self, params):
        self.lookback = params.get("lookback", 3)

    def generate_signals(self, data):
        up = data["close"] > data["close"].shift(self.lookback)
        return {"signals": [{"time": t, "type": "long", "price": float(data["close"][t])}
                            for t in data.index[up]]}

    def calculate_tp_sl_levels(self, entry_price, side):
        return entry_price * 1.1, entry_price * 0.9

    def calculate_position_size(self, capital, entry_price, sl_price, side):
        if capital < 0:
            raise ValueError("negative capital")
        return capital / entry_price / 2
'''


def candles(rows: int) -> bytes:
    times = (1_700_000_000_000 + np.arange(rows, dtype="<i8") * 3_600_000).astype("<i8")
    close = np.array([10, 11, 12, 11, 13, 14, 12, 15][:rows] * (rows // 8 + 1), dtype="<f8")[:rows]
    columns = [times, close, close + 1, close - 1, close, np.ones(rows, dtype="<f8")]
    return b"".join(np.asarray(c).tobytes() for c in columns)


def session(stub, *requests):
    return list(stub.Session(iter(requests), timeout=60))


def req(op: str, binary: bytes = b"", skip_validation: bool = False, **args) -> pb.SessionRequest:
    return pb.SessionRequest(op=op, args_json=json.dumps(args), binary=binary, skip_validation=skip_validation)


def test_session_calls_the_strategy(sandbox_stub):
    replies = session(
        sandbox_stub,
        req("load", code=STRATEGY, params={"lookback": 1}),
        req("candles", rows=8, binary=candles(8)),
        req("signals"),
        req("signals", end=3),
        req("levels", entries=[[100.0, "long"], [50.0, "short"]]),
        req("size", capital=1000, entry=10, sl=9, side="long"),
    )
    assert all(r.status == pb.EXECUTION_STATUS_COMPLETED and r.ok for r in replies), replies
    values = [json.loads(r.value_json) for r in replies]
    assert values[0] == {"class": "Momentum", "has_levels": True, "has_size": True}
    assert values[1] == {"rows": 8}
    prices = [s["price"] for s in values[2]["signals"]]
    assert prices == [11.0, 12.0, 13.0, 14.0, 15.0]
    assert values[2]["signals"][0]["time"] == "2023-11-14T23:13:20+00:00"
    assert [s["price"] for s in values[3]["signals"]] == [11.0, 12.0]
    assert values[4] == [[110.00000000000001, 90.0], [55.00000000000001, 45.0]]
    assert values[5] == 50.0


def test_strategy_exception_has_user_line_numbers(sandbox_stub):
    replies = session(sandbox_stub, req("load", code=STRATEGY, params={}),
                      req("size", capital=-1, entry=10, sl=9, side="long"))
    failed = replies[1]
    assert failed.status == pb.EXECUTION_STATUS_COMPLETED and not failed.ok
    assert failed.error.type == "ValueError"
    raise_line = next(i for i, line in enumerate(STRATEGY.splitlines(), 1) if "raise ValueError" in line)
    assert failed.error.line == raise_line
    assert f"line {raise_line}, in calculate_position_size" in failed.error.traceback


def test_several_strategy_classes_is_an_error_naming_them(sandbox_stub):
    code = STRATEGY + "\nclass Other(Momentum):\n    pass\n"
    [reply] = session(sandbox_stub, req("load", code=code, params={}))
    assert not reply.ok
    assert "Momentum" in reply.error.message and "Other" in reply.error.message


def test_rejected_code_never_loads(sandbox_stub):
    [reply] = session(sandbox_stub, req("load", code="import os\nclass S:\n    def generate_signals(self, d): pass"))
    assert reply.status == pb.EXECUTION_STATUS_REJECTED
    assert reply.problems[0].rule == "blocked-import"


def test_strategy_that_exhausts_memory_ends_the_session_as_killed(sandbox_stub):
    hog = STRATEGY.replace('        up = data["close"]',
                           '        hog = [bytearray(50 * 2**20) for _ in range(100)]\n        up = data["close"]')
    replies = session(sandbox_stub, req("load", code=hog, params={}), req("candles", rows=8, binary=candles(8)),
                      req("signals"), req("size", capital=1, entry=1, sl=None, side="long"))
    assert [r.status for r in replies] == [pb.EXECUTION_STATUS_COMPLETED, pb.EXECUTION_STATUS_COMPLETED,
                                           pb.EXECUTION_STATUS_KILLED]
    assert "memory" in replies[-1].kill_reason


def test_session_must_start_with_load(sandbox_stub):
    with pytest.raises(grpc.RpcError) as refused:
        session(sandbox_stub, req("signals"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
