"""The backtest service's messages <-> the REST API's dicts, in one place: a backtest_config to the typed
BacktestConfig, and a RunResult back to the result document /api/backtest/run has always answered (same keys,
same order, same values; times as ISO strings). The backtest's side is botmoon_backtest.result_proto."""

import datetime as dt
import json

from botmoon.backtest.v1 import backtest_pb2 as pb
from botmoon_common.timefmt import iso
from botmoon_gateway.schemas.backtest import BacktestConfig

_METRIC_FIELDS = tuple((f.name, f.type == f.TYPE_MESSAGE) for f in pb.Metrics.DESCRIPTOR.fields)
_STAT_NAMES = ("entered", "closed_position", "disabled_direction", "skipped_size", "ignored")
# BacktestConfig fields that are the API's keys as they are (start/end are times, limit may be null).
_PLAIN = ("exchange", "symbol", "timeframe", "symbol_type", "initial_capital", "commission_rate", "max_leverage",
          "entry_timing", "opposite_signal", "both_hit", "max_points", "check_lookahead", "risk_free_rate")


def config_message(config: BacktestConfig) -> pb.BacktestConfig:
    """The fields the request set (the others take the backtest's defaults), typed."""
    given = config.model_dump(exclude_unset=True)
    message = pb.BacktestConfig(**{k: given[k] for k in _PLAIN if given.get(k) is not None})
    if "limit" in given:
        if given["limit"] is None:
            message.limit_null = True
        else:
            message.limit = given["limit"]
    if given.get("enabled_directions"):
        message.enabled_directions.extend(given["enabled_directions"])
    for name in ("start", "end"):
        if given.get(name) is not None:
            setattr(message, f"{name}_ms", epoch_ms(given[name]))
    return message


def epoch_ms(moment: dt.datetime) -> int:
    """A request's time in epoch ms (naive = UTC), truncated as the backtest always has."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def run_request(code: str, config: BacktestConfig, params: dict) -> pb.RunRequest:
    return pb.RunRequest(code=code, config=config_message(config), params_json=json.dumps(params))


def result_document(r: pb.RunResult) -> dict:
    """The REST result document: success -> metrics, trades, equity_curve, config, signals, strategy, warnings,
    duration_ms (lookahead); failure -> status, error, problems, config, warnings, strategy; then node and
    request_id."""
    if r.success:
        document = {"success": True, "metrics": _metrics(r.metrics), "trades": [_trade(t) for t in r.trades],
                    "equity_curve": [{"time": iso(p.time_ms), "equity": p.equity, "drawdown_pct": p.drawdown_pct}
                                     for p in r.equity_curve],
                    "config": _config(r.config), "signals": _signals(r.signals), "strategy": _strategy(r.strategy),
                    "warnings": list(r.warnings), "duration_ms": r.duration_ms}
        if r.HasField("lookahead"):
            document["lookahead"] = _lookahead(r.lookahead)
    else:
        e = r.error
        document = {"success": False, "status": r.status,
                    "error": {"type": e.type, "message": e.message, "traceback": e.traceback, "line": e.line},
                    "problems": [{"line": p.line, "column": p.column, "rule": p.rule, "message": p.message}
                                 for p in r.problems],
                    "config": _config(r.config), "warnings": list(r.warnings), "strategy": _strategy(r.strategy)}
    document["node"] = r.node
    document["request_id"] = r.request_id if r.HasField("request_id") else None
    return document


def _metrics(m: pb.Metrics) -> dict:
    values = {}
    for name, nullable in _METRIC_FIELDS:
        value = getattr(m, name)
        values[name] = (value.value if value.HasField("value") else None) if nullable else value
    return values


def _trade(t: pb.Trade) -> dict:
    return {"side": t.side, "entry_time": iso(t.entry_time_ms), "exit_time": iso(t.exit_time_ms),
            "entry_price": t.entry_price, "exit_price": t.exit_price, "size": t.size, "exit_reason": t.exit_reason,
            "gross_pnl": t.gross_pnl, "fees": t.fees, "net_pnl": t.net_pnl, "return_pct": t.return_pct,
            "size_capped": t.size_capped, "requested_size": t.requested_size,
            "note": t.note if t.HasField("note") else None, "entry_bar": t.entry_bar, "exit_bar": t.exit_bar}


def _config(used: pb.ConfigUsed) -> dict:
    c = used.config

    def optional(name):
        return getattr(c, name) if c.HasField(name) else None

    config = {"exchange": c.exchange, "symbol": c.symbol, "timeframe": c.timeframe,
              "symbol_type": optional("symbol_type"), "initial_capital": c.initial_capital,
              "commission_rate": c.commission_rate, "limit": optional("limit"),
              "enabled_directions": list(c.enabled_directions), "max_leverage": c.max_leverage,
              "entry_timing": c.entry_timing, "opposite_signal": c.opposite_signal, "both_hit": c.both_hit,
              "max_points": c.max_points, "check_lookahead": c.check_lookahead, "risk_free_rate": c.risk_free_rate,
              "start": iso(c.start_ms) if c.HasField("start_ms") else None,
              "end": iso(c.end_ms) if c.HasField("end_ms") else None}
    if used.HasField("series"):
        s = used.series
        config.update(data_points=s.data_points, data_start=iso(s.data_start_ms), data_end=iso(s.data_end_ms),
                      source=s.source, source_detail=s.source_detail,
                      resampled_from=s.resampled_from if s.HasField("resampled_from") else None,
                      gaps=[{"first": iso(g.first_ms), "last": iso(g.last_ms), "missing": g.missing} for g in s.gaps])
    return config


def _signals(s: pb.SignalStats) -> dict:
    stats = {"total": s.total, "dropped": s.dropped}
    stats.update({name: getattr(s, name) for name in _STAT_NAMES if s.HasField(name)})
    return stats


def _strategy(s: pb.StrategyInfo) -> dict:
    return {"class": s.class_name, "output": s.output} if s.HasField("class_name") else {"output": s.output}


def _lookahead(look: pb.Lookahead) -> dict:
    return {"checked_cuts": look.checked_cuts,
            "suspicious": [{"time": iso(s.time_ms), "type": s.type, "change": s.change,
                            "data_until": iso(s.data_until_ms)} for s in look.suspicious],
            "clean": look.clean}
