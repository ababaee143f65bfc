"""Strategy templates served to AI chats and users; they are data (code text), never imported.

`seed_template` is the API contract's own template, exactly (pandas' default `ewm`, its loop): a chat that
copies the contract and one that asks for the example get the same trades. `ema_cross` is the improved one.
"""

from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True)
class Template:
    name: str
    file: str
    description: str
    params: dict

    @property
    def code(self) -> str:
        return files(__package__).joinpath(self.file).read_text()


TEMPLATES = {t.name: t for t in (
    Template("seed_template", "seed_template.py.txt",
             "The API contract's template, exactly: EMA(9)/EMA(21) crossover with pandas' default ewm "
             "(adjust=True), TP 2 % and SL 1 % from the entry, 2 % of the capital at risk per trade.",
             {"tp_pct": 2.0, "sl_pct": 1.0}),
    Template("ema_cross", "ema_cross.py.txt",
             "The same crossover, improved: periods and risk as parameters, the recursive EMA (adjust=False) "
             "that exchanges chart, and no signals during the slow EMA's warm-up.",
             {"fast_period": 9, "slow_period": 21, "tp_pct": 2.0, "sl_pct": 1.0, "risk_pct": 2.0}),
)}
DEFAULT = "seed_template"
