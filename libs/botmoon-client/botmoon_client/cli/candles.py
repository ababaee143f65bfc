"""`botmoon candles download|import|list`: the market data store on this machine, through the market data
service's own command (botmoon_marketdata.cli, which keeps the logic and the options)."""

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from botmoon_client.cli import output as o
from botmoon_client.cli.output import Exit

candles_app = typer.Typer(no_args_is_help=True, help="Candles in the local market data store (MARKETDATA_STORE_PATH "
                                                     "or --store): download from an exchange, import files, list.")
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


class RichBar:
    """A download's progress bar on stderr (the market data command takes any bar with update and close)."""

    def __init__(self, total: int, desc: str, disable: bool):
        self._progress = Progress(TextColumn(desc), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                                  TimeRemainingColumn(), console=o.err, disable=disable)
        self._task = self._progress.add_task(desc, total=total)
        self._progress.start()

    def update(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def close(self) -> None:
        self._progress.stop()


def _run(command: str, args: list[str]) -> None:
    try:
        from botmoon_marketdata import cli
    except ImportError:
        o.err.print("[red]error:[/red] candles need the market data package: pip install 'botmoon-client[candles]'")
        raise typer.Exit(Exit.USAGE) from None
    head: list[str] = []
    rest = list(args)
    if "--store" in rest:  # a main option of the market data command: it goes before the subcommand
        at = rest.index("--store")
        head, rest = rest[at:at + 2], rest[:at] + rest[at + 2:]
    try:
        code = cli.main([*head, command, *rest], progress=RichBar)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        code = exc.code if isinstance(exc.code, int) else Exit.USAGE
    raise typer.Exit(Exit.OK if code == 0 else (Exit.USAGE if code == 2 else Exit.FAILED_RUN))


@candles_app.command("download", context_settings=PASS_THROUGH, add_help_option=False)
def download(ctx: typer.Context) -> None:
    """Download a range from an exchange into the store, with a progress bar:
    --symbol BTCUSDT --timeframe 1h --start 2025-01-01 [--end ...] [--exchange okx] [--type CRYPTO_SPOT]."""
    _run("download", ctx.args)


@candles_app.command("import", context_settings=PASS_THROUGH, add_help_option=False)
def import_(ctx: typer.Context) -> None:
    """Import candle files (Binance kline CSV, freqtrade JSON/feather, plain CSV): FILE... [--symbol] [--timeframe]."""
    _run("import", ctx.args)


@candles_app.command("list", context_settings=PASS_THROUGH, add_help_option=False)
def list_(ctx: typer.Context) -> None:
    """List the stored series."""
    _run("list", ctx.args)
