"""The client's sweep pieces without a server: reading server-sent events (a dropped stream reopened), waiting
for a sweep, and the CLI's --param and --constraint syntax (unit tests; the real thing: tests/integration)."""

import asyncio
import json

import httpx
import pytest

from botmoon_client import AsyncBotmoon, Botmoon
from botmoon_client.cli.sweep import parse_constraint, parse_param, sweep_body
from botmoon_client.errors import NotFoundError
from botmoon_client.sse import EventParser, ServerEvent


def status(done: int, state: str = "running") -> dict:
    return {"success": True, "sweep_id": "sw_1", "status": state,
            "progress": {"done": done, "total": 2, "failed": 0, "eta_s": None}, "objective": "sharpe_ratio",
            "maximize": True, "best": None, "results": [], "walk_forward": None, "created_at": "2026-01-01T00:00:00Z"}


def stream(*events: tuple[str, dict]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def test_the_parser_joins_data_lines_skips_comments_and_keeps_text():
    parser = EventParser()
    lines = [": keep-alive", "", "event: progress", 'data: {"a":', "data:  1}", "id: 7", "", "data: plain", ""]
    got = [e for e in (parser.feed(line) for line in lines) if e is not None]
    assert got == [ServerEvent("progress", {"a": 1}, "7"), ServerEvent("message", "plain", "7")]


def test_events_reopen_a_dropped_stream_and_stop_at_done():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        assert request.headers["accept"] == "text/event-stream" and request.url.params["top"] == "5"
        if len(calls) == 1:  # the connection ends before the sweep is done
            return httpx.Response(200, text=stream(("progress", status(1))))
        return httpx.Response(200, text=stream(("progress", status(1)), ("done", status(2, "completed")),
                                               ("progress", status(9))))

    with Botmoon("http://botmoon.test", transport=httpx.MockTransport(handler)) as client:
        client._wait = lambda attempt, response: 0.0 if attempt < 2 else None
        got = [(e.event, e.data["progress"]["done"]) for e in client.sweep_events("sw_1", top=5)]
    assert got == [("progress", 1), ("progress", 1), ("done", 2)] and len(calls) == 2


def test_wait_sweep_reports_progress_then_reads_the_final_document():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, text=stream(("progress", status(1)), ("done", status(2, "completed"))))
        return httpx.Response(200, json=status(2, "completed"))

    seen = []
    with Botmoon("http://botmoon.test", transport=httpx.MockTransport(handler)) as client:
        final = client.wait_sweep("sw_1", on_progress=lambda s: seen.append((s.status, s.progress.done)))
    assert seen == [("running", 1), ("completed", 2)] and final.status == "completed"

    async def main():
        async with AsyncBotmoon("http://botmoon.test", transport=httpx.MockTransport(handler)) as client:
            return [e.event async for e in client.sweep_events("sw_1")]
    assert asyncio.run(main()) == ["progress", "done"]


def test_an_unknown_sweep_is_the_server_error_not_a_retry():
    transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"error": "sweep 'sw_x' not found"}))
    with Botmoon("http://botmoon.test", transport=transport) as client, pytest.raises(NotFoundError) as caught:
        list(client.sweep_events("sw_x"))
    assert caught.value.message == "sweep 'sw_x' not found"


@pytest.mark.parametrize(("option", "expected"), [
    ("fast=5:50:5", ("fast", {"start": 5, "stop": 50, "step": 5})),
    ("tp=0.5:2:0.25", ("tp", {"start": 0.5, "stop": 2, "step": 0.25})),
    ("slow=20,50,100", ("slow", [20, 50, 100])),
    ("mode=fast, slow", ("mode", ["fast", "slow"])),
    ("flag=true", ("flag", [True])),
    ("fast=5:50", ("fast", {"min": 5, "max": 50, "integer": True})),
    ("sl=0.5:3", ("sl", {"min": 0.5, "max": 3, "integer": False})),
])
def test_param_syntax(option, expected):
    assert parse_param(option) == expected


@pytest.mark.parametrize("option", ["fast", "=1,2", "fast=", "fast=1:2:3:4", "fast=a:b"])
def test_bad_params_say_how_to_write_them(option):
    with pytest.raises(ValueError, match="--param"):
        parse_param(option)


def test_the_body_from_the_options():
    body = sweep_body("code", {"limit": 500}, ["fast=5:10:5"], fixed={"tp_pct": 2}, samples=None, seed=3,
                      objective="total_return_pct", maximize=None, min_trades=10,
                      constraints=["max_drawdown<=30"], walk_forward=None)
    assert body == {"code": "code", "backtest_config": {"limit": 500}, "space": {"fast": {"start": 5, "stop": 10,
                                                                                          "step": 5}},
                    "seed": 3, "strategy_params": {"tp_pct": 2}, "objective": "total_return_pct",
                    "constraints": [{"metric": "total_trades", "min": 10}, {"metric": "max_drawdown", "max": 30.0}]}
    assert parse_constraint("win_rate >= 40") == {"metric": "win_rate", "min": 40.0}
    with pytest.raises(ValueError, match="metric>=number"):
        parse_constraint("win_rate > 40")
