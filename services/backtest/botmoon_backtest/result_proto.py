"""The backtest's messages <-> its dicts: the request's BacktestConfig to the raw config `parse_config` checks,
and the result document (backtest.run_backtest) to the typed RunResult. The gateway's mirror of this is
botmoon_gateway.backtest_wire (RunResult -> the REST reply)."""

from botmoon.backtest.v1 import backtest_pb2 as pb
from botmoon.common.v1 import candles_pb2
from botmoon.sandbox.v1 import sandbox_pb2

# BacktestConfig fields that are the config's keys as they are.
_PLAIN = ("exchange", "symbol", "timeframe", "symbol_type", "initial_capital", "commission_rate", "limit",
          "max_leverage", "entry_timing", "opposite_signal", "both_hit", "max_points", "check_lookahead",
          "risk_free_rate")
_COUNTS = frozenset(f.name for f in pb.Metrics.DESCRIPTOR.fields if f.type != f.TYPE_MESSAGE)
_METRICS = tuple(f.name for f in pb.Metrics.DESCRIPTOR.fields)
_STAT_NAMES = ("entered", "closed_position", "disabled_direction", "skipped_size", "ignored")


def config_from_proto(message: pb.BacktestConfig) -> dict:
    """The fields the request set, as the API's backtest_config (start/end as epoch ms)."""
    raw = {name: getattr(message, name) for name in _PLAIN if message.HasField(name)}
    if message.limit_null:
        raw["limit"] = None
    if message.enabled_directions:
        raw["enabled_directions"] = list(message.enabled_directions)
    if message.HasField("start_ms"):
        raw["start"] = message.start_ms
    if message.HasField("end_ms"):
        raw["end"] = message.end_ms
    return raw


def config_to_proto(config: dict) -> pb.BacktestConfig:
    """A full config (every key of config.DEFAULTS; None for null) as the message."""
    message = pb.BacktestConfig(enabled_directions=config["enabled_directions"],
                                **{k: config[k] for k in _PLAIN if config[k] is not None})
    if config["start"] is not None:
        message.start_ms = config["start"]
    if config["end"] is not None:
        message.end_ms = config["end"]
    return message


def result_to_proto(document: dict) -> pb.RunResult:
    d = document
    result = pb.RunResult(success=d["success"], status=d.get("status", ""), config=_config_used(d["config"]),
                          strategy=_strategy(d["strategy"]), warnings=d["warnings"], node=d.get("node", ""),
                          duration_ms=d.get("duration_ms", 0.0))
    if d.get("request_id") is not None:
        result.request_id = d["request_id"]
    if not d["success"]:
        result.error.CopyFrom(pb.StrategyError(**d["error"]))
        result.problems.extend(sandbox_pb2.Problem(**p) for p in d["problems"])
        return result
    result.metrics.CopyFrom(_metrics(d["metrics"], d["null_reasons"]))
    result.trades.extend(pb.Trade(entry_time_ms=t["entry_time"], exit_time_ms=t["exit_time"],
                                  **{k: v for k, v in t.items() if k not in ("entry_time", "exit_time")
                                     and v is not None}) for t in d["trades"])
    result.equity_curve.extend(pb.EquityPoint(time_ms=p["time"], equity=p["equity"], drawdown_pct=p["drawdown_pct"])
                               for p in d["equity_curve"])
    result.signals.CopyFrom(pb.SignalStats(**d["signals"]))
    if "lookahead" in d:
        look = d["lookahead"]
        result.lookahead.CopyFrom(pb.Lookahead(
            checked_cuts=look["checked_cuts"], clean=look["clean"],
            suspicious=[pb.SuspiciousSignal(time_ms=s["time"], type=s["type"], change=s["change"],
                                            data_until_ms=s["data_until"]) for s in look["suspicious"]]))
    return result


def _metrics(values: dict, reasons: dict) -> pb.Metrics:
    if tuple(values) != _METRICS:  # a metric added without its field would vanish from the reply
        raise ValueError(f"metrics {list(values)} do not match the Metrics message {list(_METRICS)}")
    fields = {}
    for name, value in values.items():
        if name in _COUNTS:
            fields[name] = value
        elif value is None:
            fields[name] = pb.Metric(null_reason=reasons.get(name, ""))
        else:
            fields[name] = pb.Metric(value=value)
    return pb.Metrics(**fields)


def _config_used(config: dict) -> pb.ConfigUsed:
    used = pb.ConfigUsed(config=config_to_proto(config))
    if "data_points" in config:
        used.series.CopyFrom(pb.SeriesUsed(
            data_points=config["data_points"], data_start_ms=config["data_start"], data_end_ms=config["data_end"],
            source=config["source"], source_detail=config["source_detail"], resampled_from=config["resampled_from"],
            gaps=[candles_pb2.Gap(first_ms=g["first"], last_ms=g["last"], missing=g["missing"])
                  for g in config["gaps"]]))
    return used


def _strategy(strategy: dict) -> pb.StrategyInfo:
    return pb.StrategyInfo(class_name=strategy.get("class"), output=strategy["output"])
