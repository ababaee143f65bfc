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


# Methods of a dict that name one key as their first argument.
_KEYED = frozenset({"get", "pop", "setdefault"})


def strategy_parameters(code: str) -> tuple[list[str], bool]:
    """The strategy_params keys the strategy reads, and whether others may be read too (then any is accepted).

    Strategies get their params as one dict: `__init__(self, params)` (or `self.params` when __init__ takes
    none). The keys are the string constants read from it: `params.get("k")`, `params["k"]`, `"k" in params`,
    `params.pop/setdefault("k")` in __init__, and the same on `self.params` anywhere in the class. Any other
    use of the dict (iterating it, `**params`, passing it on) or `**kwargs` on __init__ means the list may
    be incomplete."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [], True
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(_is_method(item, REQUIRED) for item in node.body)]
    if len(classes) != 1:
        return [], True
    cls = classes[0]
    init = next((item for item in cls.body if _is_method(item, "__init__")), None)
    names: set[str] = set()
    open_ended = False
    if init is not None:
        if init.args.kwarg is not None or init.args.vararg is not None:
            open_ended = True
        positional = [*init.args.posonlyargs, *init.args.args]
        if len(positional) >= 2:
            open_ended |= _keys_read(init, lambda node: isinstance(node, ast.Name) and node.id == positional[1].arg,
                                     names)
    open_ended |= _keys_read(cls, _is_self_params, names)
    return sorted(names), open_ended


def _is_self_params(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "params" and isinstance(node.value, ast.Name)
            and node.value.id == "self")


def _keys_read(scope: ast.AST, is_params, names: set[str]) -> bool:
    """Adds the keys read from the dict `is_params` recognises to `names`; True if it is used otherwise."""
    parents = {child: node for node in ast.walk(scope) for child in ast.iter_child_nodes(node)}
    open_ended = False
    for node in ast.walk(scope):
        if not is_params(node) or isinstance(getattr(node, "ctx", None), ast.Store):
            continue
        parent = parents.get(node)
        key = _key_of(node, parent, parents.get(parent))
        if key is not None:
            names.add(key)
        elif not _harmless(node, parent):
            open_ended = True
    return open_ended


def _key_of(node: ast.AST, parent: ast.AST | None, grandparent: ast.AST | None) -> str | None:
    def constant(value):
        return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None

    if isinstance(parent, ast.Subscript) and parent.value is node:
        return constant(parent.slice)
    if (isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in _KEYED
            and isinstance(grandparent, ast.Call) and grandparent.func is parent and grandparent.args):
        return constant(grandparent.args[0])
    if isinstance(parent, ast.Compare) and node in parent.comparators and len(parent.ops) == 1 \
            and isinstance(parent.ops[0], ast.In | ast.NotIn):
        return constant(parent.left)
    return None


def _harmless(node: ast.AST, parent: ast.AST | None) -> bool:
    """Uses that read no key: `params or {}`, `params is None`, `self.params = params`, `if params:`."""
    if isinstance(parent, ast.BoolOp | ast.If | ast.IfExp | ast.UnaryOp):
        return True
    if isinstance(parent, ast.Compare) and all(isinstance(op, ast.Is | ast.IsNot) for op in parent.ops):
        return True
    if isinstance(parent, ast.Assign) and parent.value is node and all(  # kept under a name still followed
            _is_self_params(t) or (isinstance(t, ast.Name) and isinstance(node, ast.Name) and t.id == node.id)
            for t in parent.targets):
        return True
    return False
