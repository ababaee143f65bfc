"""`Botmoon` and `AsyncBotmoon`: the same methods, one per REST operation, over httpx.

    with Botmoon() as bm:                      # BOTMOON_URL (default http://127.0.0.1:37674), BOTMOON_API_KEY
        template = bm.get_strategy_template()
        result = bm.run_backtest(template.code, {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 500})

Error replies raise `botmoon_client.errors.APIStatusError` subclasses with the server's message and fields;
429 and 503 replies and refused connections are retried (`max_retries`), waiting what `Retry-After` says.

Sweeps run on the server; follow one as it runs:

        created = bm.create_sweep({"code": code, "space": {"fast": [5, 10], "slow": {"start": 20, "stop": 60,
                                   "step": 20}}, "backtest_config": {"limit": 1000}})
        done = bm.wait_sweep(created.sweep_id, on_progress=lambda s: print(s.progress.done, s.progress.total))
        for event in bm.sweep_events(created.sweep_id): ...      # `progress` events, then `done`
"""

import asyncio
import email.utils
import functools
import inspect
import os
import random
import time
import typing
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
from pydantic import TypeAdapter

from botmoon_client import endpoints as e
from botmoon_client import models as m
from botmoon_client.endpoints import Call
from botmoon_client.errors import APIConnectionError, APITimeoutError, status_error
from botmoon_client.sse import EventParser, ServerEvent

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:37674"
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
RETRY_STATUSES = frozenset({429, 503})  # not done, try later; a 504 may have done the work, so it is not retried
MAX_RETRY_WAIT_S = 60.0
# An event stream may be quiet while a long chunk runs; a silent minute reconnects (the stream resumes from the
# sweep's stored state, so nothing is lost).
STREAM_TIMEOUT = httpx.Timeout(10.0, read=60.0)
STREAM_ENDS = frozenset({"done"})


@functools.cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def _retry_after(response: httpx.Response | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class _Core:
    """What both clients share: configuration, headers, the retry rule, and decoding a reply."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout = DEFAULT_TIMEOUT, max_retries: int = 2,
                 headers: dict[str, str] | None = None):
        self.base_url = (base_url or os.environ.get("BOTMOON_URL") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else (os.environ.get("BOTMOON_API_KEY") or None)
        self.timeout = timeout
        self.max_retries = max_retries
        self._extra_headers = dict(headers or {})

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json", "user-agent": "botmoon-client/0.1"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        return {**headers, **self._extra_headers}

    def _request_args(self, call: Call) -> dict[str, Any]:
        args: dict[str, Any] = {"params": call.params or None, "headers": self._headers()}
        if call.json is not None:
            args["json"] = call.json
        if call.timeout is not None:
            args["timeout"] = httpx.Timeout(call.timeout, connect=10.0)
        return args

    def _wait(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before another attempt, or None when this outcome is final."""
        if attempt >= self.max_retries:
            return None
        if response is not None and response.status_code not in RETRY_STATUSES:
            return None
        hinted = _retry_after(response)
        backoff = min(8.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311 (jitter, not crypto)
        return min(MAX_RETRY_WAIT_S, hinted if hinted is not None else backoff)

    def _decode(self, call: Call[T], response: httpx.Response) -> T:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        if response.is_success or response.status_code in call.ok_statuses:
            return _adapter(call.model).validate_python(body)
        raise status_error(response.status_code, body, response.headers.get("x-request-id"))

    def _stream_args(self, call: Call) -> dict[str, Any]:
        args = self._request_args(call)
        args["headers"] = {**args["headers"], "accept": "text/event-stream"}
        args["timeout"] = STREAM_TIMEOUT
        return args

    @staticmethod
    def _progress(event: ServerEvent) -> "m.SweepStatus | None":
        if event.event not in ("progress", *STREAM_ENDS) or not isinstance(event.data, dict):
            return None
        return _adapter(m.SweepStatus).validate_python(event.data)

    def _connection_error(self, exc: httpx.TransportError, call: Call) -> APIConnectionError:
        url = f"{self.base_url}{call.path}"
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            return APITimeoutError(f"no answer from {url} in time ({type(exc).__name__})", url)
        return APIConnectionError(f"cannot reach Botmoon at {self.base_url}: {exc or type(exc).__name__}", url)


def _as_method(method, build) -> None:
    """The builder's name, docs and parameters on the method, with self first and the reply model as its return."""
    functools.update_wrapper(method, build)
    del method.__wrapped__
    reply = typing.get_args(typing.get_type_hints(build).get("return"))
    signature = inspect.signature(build)
    method.__signature__ = signature.replace(
        parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *signature.parameters.values()],
        return_annotation=reply[0] if reply else Any)


def _sync(build: Callable[P, Call[T]]) -> Callable[Concatenate["Botmoon", P], T]:
    def method(self: "Botmoon", *args: P.args, **kwargs: P.kwargs) -> T:
        return self.send(build(*args, **kwargs))
    _as_method(method, build)
    return method


def _async(build: Callable[P, Call[T]]) -> Callable[Concatenate["AsyncBotmoon", P], Coroutine[Any, Any, T]]:
    async def method(self: "AsyncBotmoon", *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.send(build(*args, **kwargs))
    _as_method(method, build)
    return method


class Botmoon(_Core):
    """The synchronous client. `transport` (an httpx transport) is for tests and in-process use."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout = DEFAULT_TIMEOUT, max_retries: int = 2,
                 headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None):
        super().__init__(base_url, api_key, timeout=timeout, max_retries=max_retries, headers=headers)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            response = None
            try:
                response = self._http.request(call.method, call.path, **self._request_args(call))
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if (wait := self._wait(attempt, None)) is None:
                    raise self._connection_error(exc, call) from exc
            except httpx.TransportError as exc:
                raise self._connection_error(exc, call) from exc
            else:
                if (wait := self._wait(attempt, response)) is None:
                    return self._decode(call, response)
            time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Botmoon":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def sweep_events(self, sweep_id: str, top: int | None = None) -> Iterator[ServerEvent]:
        """The sweep's server-sent events (`progress` with the sweep document, then `done`) as they come; a
        dropped stream is reopened (`max_retries` times in a row)."""
        call = e.sweep_events(sweep_id, top)
        attempt = 0
        while True:
            try:
                with self._http.stream(call.method, call.path, **self._stream_args(call)) as response:
                    if not response.is_success:
                        response.read()
                        if (wait := self._wait(attempt, response)) is None:
                            self._decode(call, response)  # raises the server's error
                    else:
                        parser = EventParser()
                        for line in response.iter_lines():
                            if (event := parser.feed(line)) is not None:
                                attempt = 0
                                yield event
                                if event.event in STREAM_ENDS:
                                    return
                        wait = self._wait(attempt, None)
            except httpx.TransportError as exc:
                if (wait := self._wait(attempt, None)) is None:
                    raise self._connection_error(exc, call) from exc
            if wait is None:
                raise APIConnectionError(f"the event stream of {sweep_id} ended before it was done", call.path)
            time.sleep(wait)
            attempt += 1

    def wait_sweep(self, sweep_id: str, top: int | None = None,
                   on_progress: "Callable[[m.SweepStatus], Any] | None" = None) -> "m.SweepStatus":
        """Follows the sweep's events until it is completed, failed or cancelled; `on_progress` sees each
        document (the last one too). Returns the final sweep (its ranked table: `top` rows)."""
        for event in self.sweep_events(sweep_id, top):
            if on_progress and (progress := self._progress(event)) is not None:
                on_progress(progress)
        return self.get_sweep(sweep_id, top)

    get_health = _sync(e.get_health)
    get_readiness = _sync(e.get_readiness)
    validate_code = _sync(e.validate_code)
    execute_code = _sync(e.execute_code)
    deploy_code = _sync(e.deploy_code)
    list_executions = _sync(e.list_executions)
    get_execution = _sync(e.get_execution)
    run_backtest = _sync(e.run_backtest)
    quick_backtest = _sync(e.quick_backtest)
    validate_strategy = _sync(e.validate_strategy)
    get_strategy_template = _sync(e.get_strategy_template)
    get_backtest = _sync(e.get_backtest)
    list_symbols = _sync(e.list_symbols)
    get_candles = _sync(e.get_candles)
    list_strategies = _sync(e.list_strategies)
    get_strategy = _sync(e.get_strategy)
    list_signals = _sync(e.list_signals)
    start_strategy = _sync(e.start_strategy)
    stop_strategy = _sync(e.stop_strategy)
    configure_strategy = _sync(e.configure_strategy)
    get_console_status = _sync(e.get_console_status)
    get_console_summary = _sync(e.get_console_summary)
    list_running_strategies = _sync(e.list_running_strategies)
    list_webhook_endpoints = _sync(e.list_webhook_endpoints)
    create_webhook_endpoint = _sync(e.create_webhook_endpoint)
    get_webhook_endpoint = _sync(e.get_webhook_endpoint)
    update_webhook_endpoint = _sync(e.update_webhook_endpoint)
    delete_webhook_endpoint = _sync(e.delete_webhook_endpoint)
    send_webhook = _sync(e.send_webhook)
    test_webhook = _sync(e.test_webhook)
    list_webhook_deliveries = _sync(e.list_webhook_deliveries)
    get_webhook_delivery = _sync(e.get_webhook_delivery)
    create_sweep = _sync(e.create_sweep)
    list_sweeps = _sync(e.list_sweeps)
    get_sweep = _sync(e.get_sweep)
    cancel_sweep = _sync(e.cancel_sweep)
    get_sweep_result = _sync(e.get_sweep_result)


class AsyncBotmoon(_Core):
    """The asynchronous client: the same methods as `Botmoon`, awaited."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout = DEFAULT_TIMEOUT, max_retries: int = 2,
                 headers: dict[str, str] | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 http: httpx.AsyncClient | None = None):
        super().__init__(base_url, api_key, timeout=timeout, max_retries=max_retries, headers=headers)
        self._http = http or httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    def with_headers(self, headers: dict[str, str]) -> "AsyncBotmoon":
        """A client that shares this one's connections and sends these headers too (e.g. a caller's key)."""
        return AsyncBotmoon(self.base_url, self.api_key, timeout=self.timeout, max_retries=self.max_retries,
                            headers={**self._extra_headers, **headers}, http=self._http)

    async def send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            response = None
            try:
                response = await self._http.request(call.method, call.path, **self._request_args(call))
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if (wait := self._wait(attempt, None)) is None:
                    raise self._connection_error(exc, call) from exc
            except httpx.TransportError as exc:
                raise self._connection_error(exc, call) from exc
            else:
                if (wait := self._wait(attempt, response)) is None:
                    return self._decode(call, response)
            await asyncio.sleep(wait)
            attempt += 1

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncBotmoon":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def sweep_events(self, sweep_id: str, top: int | None = None) -> AsyncIterator[ServerEvent]:
        """The sweep's server-sent events (`progress` with the sweep document, then `done`) as they come; a
        dropped stream is reopened (`max_retries` times in a row)."""
        call = e.sweep_events(sweep_id, top)
        attempt = 0
        while True:
            try:
                async with self._http.stream(call.method, call.path, **self._stream_args(call)) as response:
                    if not response.is_success:
                        await response.aread()
                        if (wait := self._wait(attempt, response)) is None:
                            self._decode(call, response)  # raises the server's error
                    else:
                        parser = EventParser()
                        async for line in response.aiter_lines():
                            if (event := parser.feed(line)) is not None:
                                attempt = 0
                                yield event
                                if event.event in STREAM_ENDS:
                                    return
                        wait = self._wait(attempt, None)
            except httpx.TransportError as exc:
                if (wait := self._wait(attempt, None)) is None:
                    raise self._connection_error(exc, call) from exc
            if wait is None:
                raise APIConnectionError(f"the event stream of {sweep_id} ended before it was done", call.path)
            await asyncio.sleep(wait)
            attempt += 1

    async def wait_sweep(self, sweep_id: str, top: int | None = None,
                         on_progress: "Callable[[m.SweepStatus], Any] | None" = None) -> "m.SweepStatus":
        """Follows the sweep's events until it is completed, failed or cancelled; `on_progress` sees each
        document (the last one too). Returns the final sweep (its ranked table: `top` rows)."""
        async for event in self.sweep_events(sweep_id, top):
            if on_progress and (progress := self._progress(event)) is not None:
                on_progress(progress)
        return await self.get_sweep(sweep_id, top)

    get_health = _async(e.get_health)
    get_readiness = _async(e.get_readiness)
    validate_code = _async(e.validate_code)
    execute_code = _async(e.execute_code)
    deploy_code = _async(e.deploy_code)
    list_executions = _async(e.list_executions)
    get_execution = _async(e.get_execution)
    run_backtest = _async(e.run_backtest)
    quick_backtest = _async(e.quick_backtest)
    validate_strategy = _async(e.validate_strategy)
    get_strategy_template = _async(e.get_strategy_template)
    get_backtest = _async(e.get_backtest)
    list_symbols = _async(e.list_symbols)
    get_candles = _async(e.get_candles)
    list_strategies = _async(e.list_strategies)
    get_strategy = _async(e.get_strategy)
    list_signals = _async(e.list_signals)
    start_strategy = _async(e.start_strategy)
    stop_strategy = _async(e.stop_strategy)
    configure_strategy = _async(e.configure_strategy)
    get_console_status = _async(e.get_console_status)
    get_console_summary = _async(e.get_console_summary)
    list_running_strategies = _async(e.list_running_strategies)
    list_webhook_endpoints = _async(e.list_webhook_endpoints)
    create_webhook_endpoint = _async(e.create_webhook_endpoint)
    get_webhook_endpoint = _async(e.get_webhook_endpoint)
    update_webhook_endpoint = _async(e.update_webhook_endpoint)
    delete_webhook_endpoint = _async(e.delete_webhook_endpoint)
    send_webhook = _async(e.send_webhook)
    test_webhook = _async(e.test_webhook)
    list_webhook_deliveries = _async(e.list_webhook_deliveries)
    get_webhook_delivery = _async(e.get_webhook_delivery)
    create_sweep = _async(e.create_sweep)
    list_sweeps = _async(e.list_sweeps)
    get_sweep = _async(e.get_sweep)
    cancel_sweep = _async(e.cancel_sweep)
    get_sweep_result = _async(e.get_sweep_result)
