"""How the CLI prints: JSON for scripts (`--json`), rich tables for people; exit codes that say what happened."""

import enum
import json
import sys
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)


class Exit(enum.IntEnum):
    OK = 0
    API_ERROR = 1  # the server refused the request (4xx/5xx other than below)
    USAGE = 2  # bad command line (the CLI library's own code)
    INVALID_CODE = 3  # validation failed: the code was not run
    FAILED_RUN = 4  # the code ran and failed (exception, timeout, killed), or a backtest failed
    UNREACHABLE = 5  # no answer from the server
    UNAUTHORIZED = 6  # missing or wrong API key


def plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(plain(value), indent=2, default=str) + "\n")


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, show_lines=False)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*["" if v is None else (f"{v:,.4f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v))
                    for v in r])
    out.print(t)


def problems(items: list[Any], label: str) -> None:
    rows = [[p.line, p.column, p.rule, p.message] for p in items]
    if rows:
        table(label, ["line", "col", "rule", "message"], rows)
