"""A local stand-in for Binance's and OKX's public kline REST endpoints, for tests and offline demos.

It answers, on loopback, the requests the real ccxt client sends (markets and klines, spot and USDT
perpetuals) from the bundled real Binance candles. OKX is served the same candles under OKX's ids: the
project ships no OKX data, and what is under test is the paging, not the prices. Failures are injected
per request (``fail_next``) or for good (``down``); every request is logged for assertions.
"""

import asyncio
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import grpc
import numpy as np

from botmoon_marketdata.adapters import bundled, files
from botmoon_marketdata.domain import timeframes
from botmoon_marketdata.domain.candles import Candles
from botmoon_marketdata.domain.symbols import MarketType

_OKX_BARS = {"1m": "1m", "3m": "3m", "5m": "5m", "15m": "15m", "30m": "30m", "1H": "1h", "2H": "2h", "4H": "4h",
             "6Hutc": "6h", "12Hutc": "12h", "1Dutc": "1d", "6H": "6h", "12H": "12h", "1D": "1d"}


@dataclass
class Request:
    path: str
    query: dict[str, str]
    status: int


@dataclass
class FakeExchange:
    """Serves klines of `series[(market, base, timeframe)]`; market is "spot" or "swap"."""

    series: dict[tuple[str, str, str], Candles] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    down: bool = False
    _failures: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @classmethod
    def from_bundled(cls, bases=("BTC", "ETH", "SOL"), tfs=("1h", "5m", "1d", "4h")) -> "FakeExchange":
        fake = cls()
        for item in bundled.bundled_files():
            if item.instrument.base in bases and item.timeframe in tfs:
                market = "swap" if item.instrument.market_type is MarketType.FUTURE else "spot"
                fake.series[(market, item.instrument.base, item.timeframe)] = files.read(item.path, "csv")
        return fake

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeExchange":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-exchange").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, *statuses: int) -> None:
        """The next kline requests answer these HTTP statuses, one each, in order."""
        with self._lock:
            self._failures.extend(statuses)

    def kline_requests(self) -> list[Request]:
        return [r for r in self.requests if "klines" in r.path or "candles" in r.path]

    def _next_failure(self, path: str) -> int | None:
        with self._lock:
            if self.down:
                return 503
            is_kline = "klines" in path or "candles" in path
            return self._failures.pop(0) if self._failures and is_kline else None

    # --- answers ---------------------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, object]:
        """(HTTP status, JSON body or an HTML error page) for one GET."""
        failure = self._next_failure(path)
        if failure == 429:  # what each exchange sends when its rate limit is hit
            if path.startswith("/api/v5/"):
                return 429, {"code": "50011", "msg": "Too Many Requests", "data": []}
            return 429, {"code": -1003, "msg": "Too much request weight used; please use WebSocket Streams"}
        if failure is not None:  # a proxy's error page, not JSON
            return failure, f"<html><body><h1>{failure} Service Unavailable</h1></body></html>"
        if path in ("/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo"):
            return 200, self._binance_info("spot" if path.startswith("/api/") else "swap")
        if path in ("/api/v3/klines", "/fapi/v1/klines"):
            return self._binance_klines("spot" if path.startswith("/api/") else "swap", query)
        if path == "/api/v5/public/instruments":
            return 200, self._okx_instruments(query.get("instType", "SPOT"))
        if path in ("/api/v5/market/candles", "/api/v5/market/history-candles"):
            return self._okx_candles(query)
        return 404, {"code": -1, "msg": f"no route {path}"}

    def _bases(self, market: str) -> list[str]:
        return sorted({base for (m, base, _) in self.series if m == market})

    def _binance_info(self, market: str) -> dict:
        symbols = []
        for base in self._bases(market):
            entry = {
                "symbol": f"{base}USDT", "status": "TRADING", "baseAsset": base, "quoteAsset": "USDT",
                "baseAssetPrecision": 8, "quoteAssetPrecision": 8, "quotePrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"], "permissions": ["SPOT"], "permissionSets": [["SPOT"]],
                "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
                    {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
                ],
            }
            if market == "swap":
                entry.update({"pair": f"{base}USDT", "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
                              "onboardDate": 1569398400000, "marginAsset": "USDT", "pricePrecision": 2,
                              "quantityPrecision": 3, "underlyingType": "COIN", "triggerProtect": "0.0500"})
                entry.pop("permissions")
                entry.pop("permissionSets")
            symbols.append(entry)
        return {"timezone": "UTC", "serverTime": 0, "rateLimits": [], "symbols": symbols}

    def _okx_instruments(self, inst_type: str) -> dict:
        market = {"SPOT": "spot", "SWAP": "swap"}.get(inst_type)
        data = []
        for base in self._bases(market) if market else []:
            swap = market == "swap"
            data.append({
                "instType": inst_type, "instId": f"{base}-USDT" + ("-SWAP" if swap else ""),
                "uly": f"{base}-USDT" if swap else "", "instFamily": f"{base}-USDT" if swap else "",
                "baseCcy": "" if swap else base, "quoteCcy": "" if swap else "USDT",
                "settleCcy": "USDT" if swap else "", "ctVal": "0.01" if swap else "", "ctMult": "1" if swap else "",
                "ctValCcy": base if swap else "", "ctType": "linear" if swap else "", "lever": "100" if swap else "",
                "listTime": "1606468572000", "expTime": "", "tickSz": "0.1", "lotSz": "0.01" if swap else "0.00000001",
                "minSz": "0.01" if swap else "0.00001", "state": "live", "alias": "",
            })
        return {"code": "0", "msg": "", "data": data}

    def _binance_klines(self, market: str, query: dict[str, str]) -> tuple[int, object]:
        symbol = query.get("symbol", "")
        base = symbol.removesuffix("USDT")
        tf = query.get("interval", "")
        c = self.series.get((market, base, tf))
        if c is None:
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        step = timeframes.ms(tf)
        limit = min(int(query.get("limit", 500)), 1000 if market == "spot" else 1500)
        if "startTime" in query:
            lo = int(np.searchsorted(c.open_time_ms, int(query["startTime"]), side="left"))
            hi = int(np.searchsorted(c.open_time_ms, int(query.get("endTime", 2**62)), side="right"))
            rows = c.take(slice(lo, min(hi, lo + limit)))
        else:
            hi = int(np.searchsorted(c.open_time_ms, int(query.get("endTime", 2**62)), side="right"))
            rows = c.take(slice(max(0, hi - limit), hi))
        out = [[int(t), repr(o), repr(h), repr(lo_), repr(cl), repr(v), int(t) + step - 1, "0", 0, "0", "0", "0"]
               for t, o, h, lo_, cl, v in zip(*(col.tolist() for col in rows.columns()), strict=True)]
        return 200, out

    def _okx_candles(self, query: dict[str, str]) -> tuple[int, object]:
        inst = query.get("instId", "")
        market = "swap" if inst.endswith("-SWAP") else "spot"
        base = inst.split("-")[0]
        tf = _OKX_BARS.get(query.get("bar", ""), "")
        c = self.series.get((market, base, tf))
        if c is None:
            return 200, {"code": "51001", "msg": "Instrument ID does not exist", "data": []}
        limit = min(int(query.get("limit", 100)), 300)
        after = int(query.get("after", 2**62))  # older than
        before = int(query.get("before", -1))  # newer than
        mask = (c.open_time_ms < after) & (c.open_time_ms > before)
        rows = c.take(mask)
        rows = rows.take(slice(max(0, len(rows) - limit), len(rows)))
        data = [[str(int(t)), repr(o), repr(h), repr(lo), repr(cl), repr(v / 0.01 if market == "swap" else v),
                 repr(v), "0", "1"]
                for t, o, h, lo, cl, v in zip(*(col.tolist() for col in rows.columns()), strict=True)][::-1]
        return 200, {"code": "0", "msg": "", "data": data}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeExchange

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        status, body = self.fake.answer(parts.path, query)
        self.fake.requests.append(Request(parts.path, query, status))
        text = isinstance(body, str)
        raw = body.encode() if text else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if text else "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class ServerThread:
    """The real gRPC server of the service, on loopback, in a thread with its own event loop.

    `make_service` runs inside that loop (ccxt's async clients belong to the loop that made them)."""

    def __init__(self, make_service):
        self._make_service = make_service
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.address = ""
        self.service = None

    def __enter__(self) -> "ServerThread":
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True, name="grpc-server")
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("server did not start")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc_info) -> None:
        assert self._loop is not None and self._stopped is not None
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(30)

    async def _main(self) -> None:
        from botmoon_common.grpc_server import GRPC_OPTIONS, RequestIdInterceptor
        from botmoon_marketdata.server import grpc_service

        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        try:
            self.service = await self._make_service()
            server = grpc.aio.server(interceptors=[RequestIdInterceptor()], options=GRPC_OPTIONS)
            svc = grpc_service(self.service)
            svc.add_to_server(svc.servicer, server)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            self.address = f"127.0.0.1:{port}"
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self._ready.set()
        await self._stopped.wait()
        await server.stop(0)
        await self.service.exchanges.close()
        self.service.store.close()
