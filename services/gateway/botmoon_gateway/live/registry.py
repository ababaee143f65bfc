"""Which deployed algorithms are strategies (from their AST; nothing is run here), and with which parameters."""

import ast
import re

SYMBOL_FORMS = re.compile(r"^[A-Za-z0-9]{2,20}([/_:-][A-Za-z0-9]{2,20}){0,3}$")
MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}


class NoStrategy(ValueError):
    """Why code gives no strategy; `needs_choice` when it has several and the caller must name one."""

    def __init__(self, reason: str, needs_choice: bool = False):
        super().__init__(reason)
        self.needs_choice = needs_choice


def find_strategy(code: str, wanted: str | None = None) -> tuple[str, dict]:
    """(class name, parameters with their defaults) of the strategy class in `code`: the one named `wanted`, or
    the only class with a `generate_signals` method. Raises NoStrategy saying why there is none."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise NoStrategy(f"the code does not parse (line {exc.lineno}): {exc.msg}") from None
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(isinstance(item, ast.FunctionDef) and item.name == "generate_signals" for item in node.body)]
    names = ", ".join(c.name for c in classes)
    if wanted is not None:
        chosen = [c for c in classes if c.name == wanted]
        if not chosen:
            found = f"; its strategy classes: {names}" if classes else "; it defines no strategy class"
            raise NoStrategy(f"the code has no class {wanted!r} with a generate_signals(self, data) method{found}")
        return chosen[0].name, _params(chosen[0])
    if not classes:
        raise NoStrategy("the code defines no class with a generate_signals(self, data) method")
    if len(classes) > 1:
        raise NoStrategy(f"the code defines {len(classes)} strategy classes ({names}): name one in strategy_class",
                         needs_choice=True)
    return classes[0].name, _params(classes[0])


def _params(cls: ast.ClassDef) -> dict:
    """Defaults read as `params.get('name', default)` in __init__ (literal defaults only)."""
    init = next((item for item in cls.body if isinstance(item, ast.FunctionDef) and item.name == "__init__"), None)
    if init is None or len(init.args.args) < 2:
        return {}
    argument = init.args.args[1].arg
    found = {}
    for node in ast.walk(init):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == argument
                and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            try:
                found[node.args[0].value] = ast.literal_eval(node.args[1])
            except ValueError:
                continue
    return found


def webhook_timeframe(timeframe: str) -> str:
    """The contract's timeframe spelling in payloads: minutes ("15", "60"), or "1D"/"1W"."""
    unit, count = timeframe[-1:], timeframe[:-1]
    if not count.isdigit() or unit not in MINUTES:
        return timeframe
    if unit in "dw":
        return f"{count}{unit.upper()}"
    return str(int(count) * MINUTES[unit])
