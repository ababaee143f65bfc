"""BacktestService over gRPC: translation and errors to status codes."""

import json
import socket

import grpc

from botmoon.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from botmoon.sandbox.v1 import sandbox_pb2, sandbox_pb2_grpc
from botmoon_backtest import metrics
from botmoon_backtest.adapters.marketdata import CandleSet, fetch_candles
from botmoon_backtest.backtest import BacktestRequest, run_backtest
from botmoon_backtest.chunk import parse_items, run_chunk
from botmoon_backtest.config import ConfigError, parse_config, simulation_settings
from botmoon_backtest.domain.interface import check_interface, strategy_parameters
from botmoon_backtest.result_proto import config_from_proto, result_to_proto
from botmoon_backtest.settings import BacktestSettings
from botmoon_backtest.templates import DEFAULT, TEMPLATES
from botmoon_common import request_id
from botmoon_common.strategy_session import StrategySession

# Errors of market data that are about a request field, passed on with the field they concern; NOT_FOUND
# (no candles) is passed on as it is, with its reason.
_FIELD_ERRORS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE}


class BacktestServicer(backtest_pb2_grpc.BacktestServiceServicer):
    def __init__(self, settings: BacktestSettings, sandbox: sandbox_pb2_grpc.SandboxServiceStub, marketdata):
        self._s = settings
        self._sandbox = sandbox
        self._marketdata = marketdata
        self.node = socket.gethostname()

    @metrics.observe_backtest
    async def Run(self, request, context):
        params = await _params(request.params_json, "strategy_params", context)
        config, data = await self._config_and_candles(request.config, context)
        session = StrategySession(self._sandbox, self._s.call_timeout_s)
        try:
            document = await run_backtest(self._request(request.code, params, config), data, session)
        finally:
            await session.close()
        result = self._finish(document)
        return backtest_pb2.RunResponse(success=result.success, result=result, node=self.node)

    async def RunChunk(self, request, context):
        try:
            items = parse_items(request.items)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        config, data = await self._config_and_candles(request.config, context)
        timeout = self._s.call_timeout_s * max(1, len(items))  # the sandbox bounds the session's time itself
        async for index, document in run_chunk(self._request(request.code, {}, config), data, items,
                                               lambda: StrategySession(self._sandbox, timeout)):
            result = self._finish(document)
            metrics.BACKTESTS.labels("success" if result.success else "failed").inc()
            yield backtest_pb2.ChunkItemResult(index=index, result=result)

    async def _config_and_candles(self, message, context) -> tuple[dict, CandleSet]:
        """The checked config (symbol, exchange, type and timeframe as market data resolved them) and its
        candles; a bad field or no candles end the call with its status."""
        try:
            config = parse_config(config_from_proto(message), self._s.max_candles, max_leverage=self._s.max_leverage,
                                  max_points=self._s.default_max_points, risk_free_rate=self._s.risk_free_rate)
        except ConfigError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"backtest_config.{exc}")
        try:
            data = await fetch_candles(
                self._marketdata, exchange=config["exchange"], symbol=config["symbol"],
                symbol_type=config["symbol_type"], timeframe=config["timeframe"], limit=config["limit"],
                start_ms=config["start"] or 0, end_ms=config["end"] or 0, timeout_s=self._s.call_timeout_s)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                await context.abort(exc.code(), exc.details())
            if exc.code() in _FIELD_ERRORS:
                await context.abort(exc.code(), f"backtest_config.{_field_of(exc.details())}: {exc.details()}")
            raise
        config.update(symbol=data.symbol, exchange=data.exchange, symbol_type=data.symbol_type,
                      timeframe=data.timeframe)
        return config, data

    @staticmethod
    def _request(code: str, params: dict, config: dict) -> BacktestRequest:
        return BacktestRequest(code=code, params=params, settings=simulation_settings(config), config=config,
                               max_points=config["max_points"], check_lookahead=bool(config["check_lookahead"]),
                               risk_free_rate=config["risk_free_rate"])

    def _finish(self, document: dict) -> backtest_pb2.RunResult:
        document["node"] = self.node
        document["request_id"] = request_id.get()
        return result_to_proto(document)

    async def Validate(self, request, context):
        reply = await self._sandbox.Validate(sandbox_pb2.ValidateRequest(code=request.code),
                                             timeout=self._s.call_timeout_s, metadata=request_id.outgoing_metadata())
        errors, warnings = list(reply.errors), list(reply.warnings)
        for p in check_interface(request.code):
            severity = sandbox_pb2.SEVERITY_ERROR if p.error else sandbox_pb2.SEVERITY_WARNING
            problem = sandbox_pb2.Problem(line=p.line, column=p.column, rule=p.rule, message=p.message,
                                          severity=severity)
            (errors if p.error else warnings).append(problem)
        names, any_name = strategy_parameters(request.code)
        return backtest_pb2.ValidateResponse(valid=not errors, errors=errors, warnings=warnings,
                                             parameter_names=names, accepts_any_parameter=any_name)

    async def Example(self, request, context):
        template = TEMPLATES.get(request.name or DEFAULT)
        if template is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"name: no template '{request.name}' (there are: {', '.join(TEMPLATES)})")
        return backtest_pb2.ExampleResponse(code=template.code, params_json=json.dumps(template.params),
                                            name=template.name, description=template.description,
                                            names=list(TEMPLATES))


async def _params(text: str, name: str, context) -> dict:
    try:
        params = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{name}: not JSON ({exc})")
    if not isinstance(params, dict):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{name}: must be a JSON object")
    return params


def _field_of(details: str) -> str:
    """Which backtest_config field a market data error is about."""
    lowered = details.lower()
    for name in ("timeframe", "exchange", "market type", "limit", "start", "end"):
        if f"unknown {name}" in lowered or lowered.startswith(name):
            return {"market type": "symbol_type", "start": "start", "end": "end"}.get(name, name)
    return "symbol"
