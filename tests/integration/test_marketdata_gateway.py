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
    assert {"1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d"} <= set(body["timeframes"])
    futures = {s["symbol"]: s for s in body["symbols"] if s["type"] == "CRYPTO_FUTURE"}
    assert set(futures) == {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    assert [futures[s]["name"] for s in sorted(futures)] == ["Bitcoin", "Ethereum", "Solana"]
    btc = futures["BTC/USDT:USDT"]
    assert btc["exchange"] == "binance" and {"5m", "1h", "4h", "1d"} <= set(btc["timeframes"])
    hourly = next(d for d in btc["data"] if d["timeframe"] == "1h")
    assert hourly == {"timeframe": "1h", "first": "2024-12-31T00:00:00Z", "last": "2026-02-19T17:00:00Z",
                      "count": 9978, "source": "bundled"}
    spot = {s["symbol"] for s in body["symbols"] if s["type"] == "CRYPTO_SPOT"}
    assert spot == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert client.get("/api/backtest/symbols", params={"exchange": "okx"}).json()["symbols"] == []


def test_candles_newest_with_source(client):
    reply = client.get("/api/marketdata/candles", params={"symbol": "BTCUSDT_BINANCE", "timeframe": "1h", "limit": 100})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["symbol"], body["exchange"], body["type"]) == ("BTC/USDT:USDT", "binance", "CRYPTO_FUTURE")
    assert body["source"] == "bundled" and "exchange access is off" in body["source_detail"]
    assert body["count"] == 100 and body["gaps"] == [] and body["resampled_from"] is None
    assert body["last"] == "2026-02-19T17:00:00Z" and body["candles"]["time"][-1] == 1_771_520_400_000
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
    ({"symbol": "BTCUSDT", "timeframe": "7m"}, "timeframe", "unknown timeframe '7m'"),
    ({"symbol": "BTCUSDT", "start": "yesterday"}, "start", "neither epoch milliseconds nor an ISO 8601"),
    ({"symbol": "BTCUSDT", "type": "OPTION"}, "type", "CRYPTO_SPOT or CRYPTO_FUTURE"),
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
