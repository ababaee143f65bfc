"""RunChunk (issue 13): one candle fetch and one sandbox session for many backtests of one strategy, each
item's result the same as /api/backtest/run with the same code, params and the item's window. Real backtest
node, market data (bundled candles), sandbox and gateway; the chunk is called over gRPC on loopback."""

import json

import grpc
import httpx
import pytest

from botmoon.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from botmoon_gateway.backtest_wire import config_message, epoch_ms, result_document
from botmoon_gateway.schemas.backtest import BacktestConfig

pytestmark = [pytest.mark.docker, pytest.mark.stack]

# EMA crossover with levels and sizes; counts its own instances on the class: a fresh object (and class)
# per item prints 1 every time. `explode` makes __init__ fail: that item fails, not the chunk.
STRATEGY = '''
import pandas as pd


class Cross:
    made = 0

    def __init__(self, params):
        Cross.made += 1
        if params.get("explode"):
            raise RuntimeError("asked to fail")
        self.fast = params.get("fast", 9)
        self.slow = params.get("slow", 21)

    def generate_signals(self, data):
        print("instances:", Cross.made, "candles:", len(data), "first:", data.index[0])
        close = data["close"]
        fast = close.rolling(self.fast).mean()
        slow = close.rolling(self.slow).mean()
        above = fast > slow
        up = above & ~above.shift(1, fill_value=False)
        down = ~above & above.shift(1, fill_value=False)
        return [{"time": t, "type": "long" if up[t] else "short", "price": float(close[t])}
                for t in data.index[self.slow:] if up[t] or down[t]]

    def calculate_tp_sl_levels(self, entry_price, side):
        k = 1 if side == "long" else -1
        return entry_price * (1 + k * 0.03), entry_price * (1 - k * 0.015)

    def calculate_position_size(self, capital, entry_price, sl_price, side):
        return capital * 0.02 / abs(entry_price - sl_price)
'''
CONFIG = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2025-03-01T00:00:00Z",
          "end": "2025-05-01T00:00:00Z", "check_lookahead": True, "commission_rate": 0.0004}
WINDOWS = [("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"), ("2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z")]
PARAMS = [{"fast": 5, "slow": 20}, {"fast": 9, "slow": 21}, {"fast": 12, "slow": 40}, {"explode": True}]
VOLATILE = ("backtest_id", "duration_ms", "node", "request_id")


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=180) as client:
        yield client


@pytest.fixture(scope="module")
def stub(backtest_node):
    with grpc.insecure_channel(backtest_node.address) as channel:
        yield backtest_pb2_grpc.BacktestServiceStub(channel)


def ms(text: str) -> int:
    return epoch_ms(BacktestConfig(start=text).start)


def without_volatile(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in VOLATILE}


def test_each_item_equals_its_own_run(api, stub):
    items, expected = [], {}
    for w, (start, end) in enumerate(WINDOWS):
        for p, params in enumerate(PARAMS):
            index = 10 * w + p
            items.append(backtest_pb2.ChunkItem(index=index, params_json=json.dumps(params), start_ms=ms(start),
                                                end_ms=ms(end)))
            expected[index] = (params, {**CONFIG, "start": start, "end": end})
    items.append(backtest_pb2.ChunkItem(index=99, params_json=json.dumps(PARAMS[0])))  # the whole range
    expected[99] = (PARAMS[0], CONFIG)
    request = backtest_pb2.ChunkRequest(code=STRATEGY, config=config_message(BacktestConfig(**CONFIG)), items=items)

    got = {}
    for answer in stub.RunChunk(request, timeout=600):
        assert answer.index not in got, "an item answered twice"
        got[answer.index] = result_document(answer.result)
    assert sorted(got) == sorted(expected)

    for index, (params, config) in expected.items():
        reply = api.post("/api/backtest/run", json={"code": STRATEGY, "backtest_config": config,
                                                    "strategy_params": params})
        assert reply.status_code == 200, reply.text
        alone = reply.json()
        assert json.dumps(without_volatile(got[index])) == json.dumps(without_volatile(alone)), index
        if params.get("explode"):
            assert alone["success"] is False and "asked to fail" in alone["error"]["message"]
        else:
            assert alone["success"] is True and alone["metrics"]["total_trades"] > 0
            assert alone["strategy"]["output"].startswith("instances: 1 ")
            assert alone["lookahead"]["clean"] is True and alone["lookahead"]["checked_cuts"] > 0
    first, second = got[0]["config"], got[10]["config"]
    assert (first["data_start"], first["data_end"], first["data_points"]) == (
        "2025-03-01T00:00:00Z", "2025-03-31T23:00:00Z", 744)
    assert (second["data_start"], second["data_points"]) == ("2025-04-01T00:00:00Z", 720)
    assert got[99]["config"]["data_points"] == 744 + 720
    assert got[0]["metrics"] != got[1]["metrics"] != got[2]["metrics"]


def test_a_window_with_gaps_reports_them_as_run_does(api, stub):
    config = {"symbol": "ETH/USDT:USDT", "timeframe": "1h", "start": "2024-12-25T00:00:00Z",
              "end": "2025-02-01T00:00:00Z"}
    window = ("2024-12-28T00:00:00Z", "2025-01-10T00:00:00Z")
    request = backtest_pb2.ChunkRequest(code=STRATEGY, config=config_message(BacktestConfig(**config)), items=[
        backtest_pb2.ChunkItem(index=7, params_json="{}", start_ms=ms(window[0]), end_ms=ms(window[1]))])
    (answer,) = list(stub.RunChunk(request, timeout=300))
    chunk = result_document(answer.result)
    alone = api.post("/api/backtest/run", json={"code": STRATEGY, "backtest_config": {
        **config, "start": window[0], "end": window[1]}}).json()
    assert chunk["config"]["gaps"] == alone["config"]["gaps"] == [
        {"first": "2024-12-28T00:00:00Z", "last": "2024-12-30T23:00:00Z", "missing": 72}]
    assert json.dumps(without_volatile(chunk)) == json.dumps(without_volatile(alone))


def test_a_bad_item_or_config_is_invalid_argument(stub):
    config = config_message(BacktestConfig(**CONFIG))
    for request, field in [
        (backtest_pb2.ChunkRequest(code=STRATEGY, config=config,
                                   items=[backtest_pb2.ChunkItem(index=3, params_json="[1]")]), "items[3]"),
        (backtest_pb2.ChunkRequest(code=STRATEGY, config=backtest_pb2.BacktestConfig(max_points=3),
                                   items=[backtest_pb2.ChunkItem(index=0)]), "backtest_config.max_points"),
    ]:
        with pytest.raises(grpc.RpcError) as caught:
            list(stub.RunChunk(request, timeout=60))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in caught.value.details()


def test_validate_names_the_parameters_the_strategy_reads(stub):
    reply = stub.Validate(backtest_pb2.ValidateRequest(code=STRATEGY), timeout=60)
    assert reply.valid and list(reply.parameter_names) == ["explode", "fast", "slow"]
    assert reply.accepts_any_parameter is False
    open_ended = STRATEGY.replace("def __init__(self, params):", "def __init__(self, params, **extra):")
    assert stub.Validate(backtest_pb2.ValidateRequest(code=open_ended), timeout=60).accepts_any_parameter is True


def test_a_null_metric_says_why_in_the_typed_result(stub):
    silent = "class Silent:\n    def __init__(self, params):\n        pass\n\n    def generate_signals(self, data):\n" \
             "        return []\n"
    config = config_message(BacktestConfig(symbol="BTC/USDT:USDT", start="2025-03-01T00:00:00Z",
                                           end="2025-03-08T00:00:00Z"))
    reply = stub.Run(backtest_pb2.RunRequest(code=silent, config=config, params_json="{}"), timeout=120)
    metrics = reply.result.metrics
    assert reply.success and metrics.total_trades == 0 and metrics.final_equity.value == 10000.0
    assert not metrics.win_rate.HasField("value") and metrics.win_rate.null_reason == "no winning or losing trades"
    assert "win_rate is null: no winning or losing trades" in reply.result.warnings
    series = reply.result.config.series
    assert (series.data_points, series.data_start_ms) == (168, ms("2025-03-01T00:00:00Z"))
    assert reply.result.config.config.symbol_type == "CRYPTO_FUTURE" and reply.node == reply.result.node != ""
