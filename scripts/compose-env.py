#!/usr/bin/env python3
"""Writes the settings of each compose service to <out>/<service>.env (its env_file) and all of them to
<out>/compose.env (for compose's own ${...} substitution).

Later sources win: deploy/compose/defaults.env (what differs on one host), then the given env file (`.env`;
skipped when missing), then this process's environment. A service gets the variables of its prefix only, so
the gateway's API keys never reach another container. compose.yaml pins what wires the stack together
(ports, listen addresses, peers, data paths)."""

import os
import re
import sys
from pathlib import Path

PREFIXES = {"gateway": "GATEWAY_", "sandbox": "SANDBOX_", "marketdata": "MARKETDATA_", "backtest": "BACKTEST_"}
NAME = re.compile(r"^(?:GATEWAY|SANDBOX|MARKETDATA|BACKTEST)_[A-Z0-9_]+$")
# Variables of the Makefile and the compose files, not of a service: in a service's env file they would change its
# configuration (`make up BACKTEST_REPLICAS=3` would recreate the running replica) or hand it a secret it never reads.
STACK_ONLY = {"BACKTEST_REPLICAS", "GATEWAY_REPLICAS", "GATEWAY_POSTGRES_PASSWORD"}
PLAIN = re.compile(r"^[A-Za-z0-9_./:,@+=*\[\]-]*$")
DEFAULTS = Path(__file__).resolve().parent.parent / "deploy" / "compose" / "defaults.env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines, `#` comments and a trailing ` # comment` ignored; quotes removed."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            sys.exit(f"{path}:{number}: not KEY=VALUE: {line!r}")
        value = value.strip()
        if value[:1] in ("'", '"') and value[:1] in value[1:]:
            value = value[1:value.index(value[0], 1)]
        else:
            value = re.split(r"(?:^|\s+)#", value, maxsplit=1)[0].strip()
        values[key.strip()] = value
    return values


def line(key: str, value: str) -> str:
    if any(c in value for c in "$'\n\r"):
        sys.exit(f"{key}: a value with $, ' or a line break cannot be passed to compose; change it")
    return f"{key}={value}" if PLAIN.match(value) else f"{key}='{value}'"


def write(path: Path, values: dict[str, str]) -> None:
    text = "".join(line(k, values[k]) + "\n" for k in sorted(values))
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def main(out: str, env_file: str = "") -> None:
    merged = read_env_file(DEFAULTS)
    if env_file and Path(env_file).is_file():
        merged |= read_env_file(Path(env_file))
    merged |= {k: v for k, v in os.environ.items() if NAME.match(k)}
    merged = {k: v for k, v in merged.items() if NAME.match(k)}
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    for service, prefix in PREFIXES.items():
        write(directory / f"{service}.env",
              {k: v for k, v in merged.items() if k.startswith(prefix) and k not in STACK_ONLY})
    write(directory / "compose.env", merged)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: compose-env.py OUT_DIR [ENV_FILE]")
    main(*sys.argv[1:])
