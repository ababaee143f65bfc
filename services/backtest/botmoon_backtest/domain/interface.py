"""Checks that code defines one usable strategy class, from its AST (nothing is run here)."""

import ast
from dataclasses import dataclass

REQUIRED = "generate_signals"
# method -> (parameters after self, what applies when it is missing)
METHODS = {
    "generate_signals": (("data",), None),
    "calculate_tp_sl_levels": (("entry_price", "side"), "no take-profit or stop-loss levels are set"),
    "calculate_position_size": (("capital", "entry_price", "sl_price", "side"),
                                "each trade risks 2% of the capital at that moment (the template's rule)"),
}


@dataclass(frozen=True)
class InterfaceProblem:
    line: int
    column: int
    rule: str
    message: str
    error: bool


def check_interface(code: str) -> list[InterfaceProblem]:
    """Problems of the strategy interface; a syntax error is left to the sandbox's validation."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(_is_method(item, REQUIRED) for item in node.body)]
    if not classes:
        return [InterfaceProblem(1, 1, "no-strategy", "no class defines generate_signals(self, data)", True)]
    if len(classes) > 1:
        names = ", ".join(c.name for c in classes)
        return [InterfaceProblem(classes[1].lineno, classes[1].col_offset + 1, "several-strategies",
                                 f"several classes define generate_signals: {names}; keep one", True)]
    return _check_class(classes[0])


def _check_class(cls: ast.ClassDef) -> list[InterfaceProblem]:
    problems = []
    methods = {item.name: item for item in cls.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)}
    for name, (params, default) in METHODS.items():
        method = methods.get(name)
        if method is None:
            if default:
                problems.append(InterfaceProblem(cls.lineno, cls.col_offset + 1, "missing-method",
                                                 f"{cls.name} has no {name}: {default}", False))
            continue
        if isinstance(method, ast.AsyncFunctionDef):
            problems.append(InterfaceProblem(method.lineno, method.col_offset + 1, "async-method",
                                             f"{name} must not be async", True))
        accepted = _positional_count(method)
        if accepted is not None and accepted < len(params) + 1:
            expected = ", ".join(("self", *params))
            problems.append(InterfaceProblem(method.lineno, method.col_offset + 1, "signature",
                                             f"{name} must accept ({expected})", True))
    init = methods.get("__init__")
    if init is not None and (_positional_count(init) or 0) < 2 and not init.args.vararg:
        problems.append(InterfaceProblem(init.lineno, init.col_offset + 1, "init-params",
                                         "__init__ takes no params: strategy_params will be set as self.params",
                                         False))
    return problems


def _is_method(node: ast.stmt, name: str) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name


def _positional_count(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """How many positional arguments it takes; None when *args takes any number."""
    if fn.args.vararg is not None:
        return None
    return len(fn.args.posonlyargs) + len(fn.args.args)
