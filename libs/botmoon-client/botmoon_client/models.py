"""The request and response models, from their one home: the gateway's schemas.

Everything in the client, the CLI and the MCP server imports models from here, so moving the schemas to a
package of their own means changing the imports in this module only. Importing them pulls in pydantic only.
"""

from typing import Any

from botmoon_gateway.schemas.ai import (
    CodeBody,
    DeployBody,
    DeployResponse,
    ErrorOut,
    ExecuteBody,
    ExecuteResponse,
    ExecutionList,
    ExecutionOut,
    ProblemOut,
    ValidateResponse,
    Validation,
)
from botmoon_gateway.schemas.backtest import BacktestConfig, ExampleResponse, QuickBody, RunBody, Timeframe
from botmoon_gateway.schemas.marketdata import (
    CandleColumns,
    CandlesResponse,
    GapOut,
    SeriesOut,
    SymbolOut,
    SymbolsResponse,
)
from botmoon_gateway.schemas.strategies import (
    ConfigBody,
    ConsoleStatus,
    RunningResponse,
    SignalList,
    StartBody,
    StrategyList,
    StrategyOut,
    StrategyResponse,
    Summary,
    SummaryResponse,
)
from botmoon_gateway.schemas.sweeps import (
    Constraint,
    Metric,
    ResultRow,
    SweepBody,
    SweepCreated,
    SweepList,
    SweepProgress,
    SweepStatus,
    SweepSummary,
    WalkForwardPlan,
    WalkForwardReport,
    WindowResult,
)
from botmoon_gateway.schemas.webhooks import (
    DeliveryList,
    DeliveryOut,
    EndpointIn,
    EndpointList,
    EndpointResponse,
    EndpointUpdate,
    SendBody,
    SendResponse,
    Target,
)

# The backtest endpoints answer with the engine's document (metrics, trades, equity_curve, config, warnings;
# docs/backtest-semantics.md), which has no REST model of its own.
BacktestResult = dict[str, Any]

__all__ = [
    "BacktestConfig", "BacktestResult", "CandleColumns", "CandlesResponse", "CodeBody", "ConfigBody", "ConsoleStatus",
    "Constraint", "DeliveryList", "DeliveryOut", "DeployBody", "DeployResponse", "EndpointIn", "EndpointList",
    "EndpointResponse", "EndpointUpdate", "ErrorOut", "ExampleResponse", "ExecuteBody", "ExecuteResponse",
    "ExecutionList", "ExecutionOut", "GapOut", "Metric", "ProblemOut", "QuickBody", "ResultRow", "RunBody",
    "RunningResponse", "SendBody", "SendResponse", "SeriesOut", "SignalList", "StartBody", "StrategyList",
    "StrategyOut", "StrategyResponse", "Summary", "SummaryResponse", "SweepBody", "SweepCreated", "SweepList",
    "SweepProgress", "SweepStatus", "SweepSummary", "SymbolOut", "SymbolsResponse", "Target", "Timeframe",
    "ValidateResponse", "Validation", "WalkForwardPlan", "WalkForwardReport", "WindowResult",
]
