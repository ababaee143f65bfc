"""A chunk of backtests of one strategy (a sweep's combinations): one fetch of candles, one sandbox session,
a fresh strategy object per item (the session's `load` again, with the item's params), each item on the
candles of its window. Each result is what Run gives for the same code, params and window."""

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from botmoon_backtest.adapters.marketdata import CandleSet
from botmoon_backtest.backtest import BacktestRequest, run_backtest
from botmoon_common.strategy_session import StrategySession


@dataclass(frozen=True)
class Item:
    index: int
    params: dict
    start_ms: int  # 0: the config's start
    end_ms: int    # 0: the config's end


def parse_items(items) -> list[Item]:
    """ChunkItem messages -> Items; ValueError naming the item whose params are not a JSON object."""
    parsed = []
    for item in items:
        try:
            params = json.loads(item.params_json or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"items[{item.index}].params_json: not JSON ({exc})") from None
        if not isinstance(params, dict):
            raise ValueError(f"items[{item.index}].params_json: must be a JSON object")
        if item.end_ms and item.start_ms and item.end_ms <= item.start_ms:
            raise ValueError(f"items[{item.index}]: end_ms must be after start_ms")
        parsed.append(Item(item.index, params, item.start_ms, item.end_ms))
    return parsed


async def run_chunk(base: BacktestRequest, data: CandleSet, items: list[Item],
                    open_session: Callable[[], StrategySession]) -> AsyncIterator[tuple[int, dict]]:
    """(index, result document) as each item finishes; items on the same window share the candles sent.
    When the sandbox ends the session (a timeout, memory), the next item gets a new one; an item that ended
    a session other items had used runs once more in a fresh one, as Run would have run it."""
    session, used = open_session(), False
    try:
        for item in sorted(items, key=lambda i: (i.start_ms, i.end_ms)):
            request, candles = _for_item(base, data, item)
            if candles is None:
                yield item.index, _no_candles(request, data, item)
                continue
            key = (item.start_ms, item.end_ms)
            session.output.clear()
            document = await run_backtest(request, candles, session, candles_key=key)
            if session.ended and used:
                await session.close()
                session = open_session()
                document = await run_backtest(request, candles, session, candles_key=key)
            used = True
            if session.ended:
                await session.close()
                session, used = open_session(), False
            yield item.index, document
    finally:
        await session.close()


def _for_item(base: BacktestRequest, data: CandleSet, item: Item) -> tuple[BacktestRequest, CandleSet | None]:
    """The item's request (its params, its window in the config as Run would show it) and candles."""
    if not (item.start_ms or item.end_ms):
        return replace(base, params=item.params), data
    times = data.candles.time
    start = item.start_ms or base.config["start"] or int(times[0])
    end = item.end_ms or base.config["end"] or int(times[-1]) + 1
    config = {**base.config, "limit": None, "start": start, "end": end}
    return replace(base, params=item.params, config=config), data.window(start, end)


def _no_candles(request: BacktestRequest, data: CandleSet, item: Item) -> dict:
    config = request.config
    message = (f"no candles for {data.symbol} ({data.symbol_type}) {data.timeframe} on {data.exchange} in the "
               f"item's window [{config['start']}, {config['end']}) ms")
    return {"success": False, "status": "failed",
            "error": {"type": "NoCandles", "message": message, "traceback": "", "line": 0},
            "problems": [], "config": config, "warnings": [], "strategy": {"output": ""}}
