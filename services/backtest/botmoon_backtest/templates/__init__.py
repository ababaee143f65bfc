"""Strategy templates served to AI chats and users; they are data (code text), never imported."""

from importlib.resources import files


def example_code() -> str:
    """The full template of GET /api/backtest/example: passes validation and runs."""
    return files(__package__).joinpath("ema_cross.py.txt").read_text()


EXAMPLE_PARAMS = {"fast_period": 9, "slow_period": 21, "tp_pct": 2.0, "sl_pct": 1.0, "risk_pct": 2.0}
