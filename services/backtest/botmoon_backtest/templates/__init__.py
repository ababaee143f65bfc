"""Strategy templates served to AI chats and users; they are data (code text), never imported."""

from importlib.resources import files


def example_code() -> str:
    """The full template of GET /api/backtest/example: passes validation and runs."""
    return files(__package__).joinpath("ema_cross.py.txt").read_text()
