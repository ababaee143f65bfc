"""Which deployed algorithms are strategies (from their AST; nothing is run here), and with which parameters."""

import ast
import re

SYMBOL_FORMS = re.compile(r"^[A-Za-z0-9]{2,20}([/_:-][A-Za-z0-9]{2,20}){0,3}$")
MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}


def strategy_class(code: str) -> tuple[str, dict] | None:
    """(class name, parameters with their defaults) when the code defines exactly one strategy class."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(isinstance(item, ast.FunctionDef) and item.name == "generate_signals" for item in node.body)]
    if len(classes) != 1:
        return None
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
