"""GET /api/backtest/symbols and GET /api/marketdata/candles through real HTTP: gateway and market data
processes on loopback, offline (the bundled candles only)."""

import httpx
import pytest


@pytest.fixture
def client(gateway):
    with httpx.Client(base_url=gateway.url, timeout=30) as c:
        yield c


def test_symbols_lists_btc_eth_sol_with_real_candles(client):
    reply = client.get("/api/backtest/symbols")
    assert reply.status_code == 200
    body = reply.json()
    assert body["success"] is True and body["exchanges"] == ["binance", "okx"]
    # Only timeframes with candles (bundled 5m and up, resampled where not bundled), and BTC spot's bundled 1m.
    from_5m = ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"]
    assert body["timeframes"] == ["1m", "3m", *from_5m]
    futures = {s["symbol"]: s for s in body["symbols"] if s["type"] == "CRYPTO_FUTURE"}
    assert set(futures) == {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    assert [futures[s]["name"] for s in sorted(futures)] == ["Bitcoin", "Ethereum", "Solana"]
    btc = futures["BTC/USDT:USDT"]
    assert btc["exchange"] == "binance" and btc["timeframes"] == from_5m
    hourly = next(d for d in btc["data"] if d["timeframe"] == "1h")
    assert hourly == {"timeframe": "1h", "first": "2024-12-31T00:00:00Z", "last": "2026-02-19T17:00:00Z",
                      "count": 9978, "source": "bundled"}
    spot = {s["symbol"]: s for s in body["symbols"] if s["type"] == "CRYPTO_SPOT"}
    assert set(spot) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert spot["BTC/USDT"]["timeframes"] == body["timeframes"] and spot["ETH/USDT"]["timeframes"] == from_5m
    assert next(d for d in spot["BTC/USDT"]["data"] if d["timeframe"] == "1h") == {
        "timeframe": "1h", "first": "2021-01-01T00:00:00Z", "last": "2026-05-16T17:00:00Z", "count": 47_068,
        "source": "bundled"}
    assert client.get("/api/backtest/symbols", params={"exchange": "okx"}).json()["symbols"] == []


def test_candles_newest_with_source(client):
    reply = client.get("/api/marketdata/candles", params={"symbol": "BTCUSDT_BINANCE", "timeframe": "1h", "limit": 100})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["symbol"], body["exchange"], body["type"]) == ("BTC/USDT:USDT", "binance", "CRYPTO_FUTURE")
    assert body["source"] == "bundled" and "exchange access is off" in body["source_detail"]
    assert body["count"] == 100 and body["gaps"] == [] and body["resampled_from"] is None
    assert body["last"] == "2026-02-19T17:00:00Z" and body["candles"]["time"][-1] == "2026-02-19T17:00:00Z"
    columns = body["candles"]
    assert all(len(columns[k]) == 100 for k in ("time", "open", "high", "low", "close", "volume"))
    assert all(h >= max(o, c) for o, h, c in zip(columns["open"], columns["high"], columns["close"], strict=True))


def test_candles_by_iso_range_and_resampled(client):
    reply = client.get("/api/marketdata/candles", params={
        "symbol": "BTC/USDT", "timeframe": "4h", "start": "2025-01-01T00:00:00Z", "end": "2025-01-02"})
    body = reply.json()
    assert body["count"] == 6 and body["first"] == "2025-01-01T00:00:00Z" and body["last"] == "2025-01-01T20:00:00Z"
    resampled = client.get("/api/marketdata/candles", params={"symbol": "ETH-USDT-SWAP", "exchange": "",
                                                              "timeframe": "4h", "limit": 10})
    assert resampled.status_code == 404  # OKX: no bundled candles, and offline
    assert "the store has no candles of this symbol" in resampled.json()["error"]
    resampled = client.get("/api/marketdata/candles",
                           params={"symbol": "ETH/USDT:USDT", "timeframe": "4h", "limit": 10})
    body = resampled.json()
    assert body["resampled_from"] == "1h" and body["count"] == 10 and body["source"] == "bundled"


@pytest.mark.parametrize(("params", "field", "reason"), [
    ({"symbol": "BTCUSDT", "timeframe": "7m"}, "timeframe", "Input should be '1m', '3m'"),
    ({"symbol": "BTCUSDT", "start": "yesterday"}, "start", "neither epoch milliseconds nor an ISO 8601"),
    ({"symbol": "BTCUSDT", "type": "OPTION"}, "type", "CRYPTO_SPOT or CRYPTO_FUTURE"),
    ({"symbol": "BTCUSDT", "market_type": "OPTION"}, "market_type", "CRYPTO_SPOT or CRYPTO_FUTURE"),
    ({"symbol": "BTC/USDT", "market_type": "CRYPTO_FUTURE"}, "market_type",
     "CRYPTO_FUTURE conflicts with symbol 'BTC/USDT', which is CRYPTO_SPOT"),
    ({"symbol": "BTC/USDT:USDT", "type": "CRYPTO_SPOT"}, "type",
     "CRYPTO_SPOT conflicts with symbol 'BTC/USDT:USDT', which is CRYPTO_FUTURE"),
    ({"symbol": "BTC-USDT-SWAP", "exchange": "binance"}, "symbol", "names okx"),
    ({"symbol": "BTCUSDT", "exchange": "kraken"}, "exchange", "unknown exchange 'kraken'"),
])
def test_bad_requests_name_the_field(client, params, field, reason):
    reply = client.get("/api/marketdata/candles", params=params)
    assert reply.status_code == 422
    (problem,) = reply.json()["fields"]
    assert problem["field"] == field and reason in problem["reason"]


def test_ready_reports_the_marketdata_backend(client):
    backends = client.get("/ready").json()["backends"]
    assert backends["marketdata"] == "SERVING"


def test_the_spelling_decides_the_series_and_the_reply_names_it(client):
    spot = client.get("/api/marketdata/candles", params={"symbol": "BTC/USDT", "limit": 10}).json()
    perp = client.get("/api/marketdata/candles", params={"symbol": "BTC/USDT:USDT", "limit": 10}).json()
    assert (spot["symbol"], spot["type"]) == ("BTC/USDT", "CRYPTO_SPOT")
    assert (perp["symbol"], perp["type"]) == ("BTC/USDT:USDT", "CRYPTO_FUTURE")
    assert spot["candles"]["close"] != perp["candles"]["close"]
    bare = client.get("/api/marketdata/candles", params={"symbol": "BTCUSDT", "market_type": "CRYPTO_SPOT",
                                                         "limit": 10}).json()
    assert (bare["symbol"], bare["type"], bare["candles"]) == ("BTC/USDT", "CRYPTO_SPOT", spot["candles"])


@pytest.mark.parametrize(("params", "says"), [
    ({"symbol": "ETH/USDT", "timeframe": "1m"}, "no candles for ETH/USDT (CRYPTO_SPOT) 1m on binance"),
    ({"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2020-01-01", "end": "2020-01-02"},
     "no candles for BTC/USDT:USDT (CRYPTO_FUTURE) 1h on binance with open times from 2020-01-01T00:00:00Z up to "
     "2020-01-02T00:00:00Z"),
])
def test_no_candles_is_a_404_saying_which(client, params, says):
    reply = client.get("/api/marketdata/candles", params=params)
    assert reply.status_code == 404
    assert reply.json()["success"] is False and says in reply.json()["error"]


def test_every_listed_timeframe_has_candles(client):
    for listed in client.get("/api/backtest/symbols").json()["symbols"]:
        for timeframe in listed["timeframes"]:
            reply = client.get("/api/marketdata/candles", params={"symbol": listed["symbol"], "timeframe": timeframe,
                                                                  "limit": 20, "store_only": True})
            assert reply.status_code == 200 and reply.json()["count"] == 20, (listed["symbol"], timeframe, reply.text)
