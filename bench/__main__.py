"""Runs the benchmarks named on the command line (all by default); `--quick` shortens them."""

import sys

from bench import backtest_e2e, console_ui, gateway_db, marketdata_candles, mcp_overhead, sandbox_execute, sweep

SUITES = {"sandbox": sandbox_execute.run, "marketdata": marketdata_candles.run,
          "backtest": backtest_e2e.run, "mcp": mcp_overhead.run,
          "console": console_ui.run, "database": gateway_db.run, "sweep": sweep.run}


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")] or list(SUITES)
    for name in names:
        SUITES[name](quick=quick)


if __name__ == "__main__":
    main(sys.argv[1:])
