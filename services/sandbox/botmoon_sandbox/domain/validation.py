"""Static checks of submitted code by an AST walk: a clear first answer, not the security boundary."""

import ast
from dataclasses import dataclass
from enum import Enum

from botmoon_sandbox.domain import flavour as flavours

ALLOWED_MODULES = frozenset({
    "numpy", "pandas", "math", "cmath", "statistics", "datetime", "time", "zoneinfo",
    "calendar", "collections", "itertools", "functools", "operator", "json", "decimal",
    "fractions", "random", "typing", "dataclasses", "enum", "abc", "numbers", "re",
    "string", "textwrap", "copy", "bisect", "heapq", "warnings", "pprint",
})

# Modules that reach the OS, the network, native code or the import machinery, with why.
BLOCKED_MODULES = {
    **dict.fromkeys(("os", "posix", "nt", "sys", "platform", "sysconfig", "resource", "signal",
                     "pty", "fcntl", "termios", "mmap", "gc", "faulthandler", "atexit"),
                    "reaches the operating system"),
    **dict.fromkeys(("subprocess", "multiprocessing", "concurrent", "threading", "_thread",
                     "asyncio"), "starts processes or threads"),
    **dict.fromkeys(("socket", "ssl", "select", "selectors", "socketserver", "http", "urllib",
                     "urllib3", "requests", "httpx", "ftplib", "smtplib", "poplib", "imaplib",
                     "telnetlib", "xmlrpc", "webbrowser"), "reaches the network"),
    **dict.fromkeys(("shutil", "pathlib", "io", "tempfile", "glob", "fileinput", "shelve",
                     "dbm", "sqlite3", "zipfile", "tarfile"), "reaches the file system"),
    **dict.fromkeys(("ctypes", "cffi", "marshal", "pickle", "code", "codeop", "dis", "inspect",
                     "types"), "reaches native code or interpreter internals"),
    **dict.fromkeys(("importlib", "imp", "pkgutil", "runpy", "zipimport", "site", "builtins",
                     "__builtin__"), "reaches the import machinery"),
}

BLOCKED_CALLS = {
    "eval": "evaluates arbitrary code",
    "exec": "executes arbitrary code",
    "compile": "compiles arbitrary code",
    "__import__": "imports modules dynamically",
    "open": "opens files",
    "input": "waits for input that never comes",
    "breakpoint": "starts a debugger",
    "globals": "exposes the interpreter's namespace",
    "locals": "exposes the interpreter's namespace",
    "vars": "exposes the interpreter's namespace",
    "help": "starts an interactive helper",
    "exit": "stops the interpreter",
    "quit": "stops the interpreter",
}

# Dunder and frame attributes that lead out of the namespace the code was given.
BLOCKED_ATTRIBUTES = frozenset({
    "__subclasses__", "__globals__", "__builtins__", "__code__", "__closure__", "__bases__",
    "__base__", "__mro__", "__class__", "__dict__", "__getattribute__", "__loader__",
    "__spec__", "__import__", "__reduce__", "__reduce_ex__", "__func__", "__self__",
    "__module__", "__traceback__", "__frame__", "__setattr__", "__delattr__",
    "f_globals", "f_locals", "f_back", "f_builtins", "f_code", "tb_frame", "gi_frame",
    "gi_code", "cr_frame", "ag_frame", "co_code",
})
BLOCKED_NAMES = frozenset({"__builtins__", "__loader__", "__spec__", "__import__"})
REFLECTIVE_CALLS = frozenset({"getattr", "setattr", "delattr", "hasattr"})


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    rule: str
    message: str
    severity: Severity = Severity.ERROR


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    imports: frozenset[str] = frozenset()  # every module the code's import statements name

    @property
    def flavour(self) -> flavours.Flavour:
        """The cheapest container flavour that has what the code imports."""
        return flavours.for_modules(self.imports)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(code: str, max_bytes: int = 256 * 1024) -> Report:
    """Checks `code` and reports every problem with its line and column (1-based)."""
    size = len(code.encode("utf-8"))
    if size > max_bytes:
        return Report((Problem(1, 1, "too-large", f"code is {size} bytes; the limit is {max_bytes}"),))
    if not code.strip():
        return Report((Problem(1, 1, "empty", "code is empty"),))
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return Report((Problem(exc.lineno or 1, exc.offset or 1, "syntax-error", exc.msg),))
    except (RecursionError, MemoryError):  # the parser's answer to very deep nesting
        return Report((Problem(1, 1, "too-complex", "code is nested too deeply to check"),))
    checker = _Checker(tree)
    checker.run()
    return Report(tuple(sorted(checker.problems, key=lambda p: (p.line, p.column))), flavours.imported_modules(tree))


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the code binds somewhere (scope is ignored), so that `open = df['open']` is not the builtin."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return bound


def _is_hidden_attribute(name: str) -> bool:
    return name in BLOCKED_ATTRIBUTES or name.startswith("__")


class _Checker:
    """Looks at every node of the tree without recursion, so deeply nested code cannot exhaust the stack."""

    def __init__(self, tree: ast.AST) -> None:
        self.problems: list[Problem] = []
        self._tree = tree
        self._bound = _bound_names(tree)
        self._reported_calls: set[int] = set()  # ids of Name nodes already reported as a blocked call

    def run(self) -> None:
        for node in ast.walk(self._tree):
            check = getattr(self, "visit_" + type(node).__name__, None)
            if check is not None:
                check(node)

    def _add(self, node: ast.AST, rule: str, message: str, severity=Severity.ERROR) -> None:
        self.problems.append(Problem(node.lineno, node.col_offset + 1, rule, message, severity))

    def _check_module(self, node: ast.AST, dotted: str) -> None:
        top = dotted.split(".")[0]
        if top in BLOCKED_MODULES:
            self._add(node, "blocked-import", f"import of '{dotted}' is not allowed: it {BLOCKED_MODULES[top]}")
        elif top not in ALLOWED_MODULES:
            allowed = ", ".join(sorted(ALLOWED_MODULES))
            self._add(node, "unknown-import", f"module '{dotted}' is not available in the sandbox (allowed: {allowed})")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self._add(node, "relative-import", "relative imports have nothing to import from")
        elif node.module:
            self._check_module(node, node.module)
        if any(alias.name == "*" for alias in node.names):
            self._add(node, "star-import", "'import *' hides where names come from", Severity.WARNING)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name):
            name = node.func.id
            if name in BLOCKED_CALLS:
                self._add(node, "blocked-call", f"'{name}()' is not allowed: it {BLOCKED_CALLS[name]}")
                self._reported_calls.add(id(node.func))
            elif name in REFLECTIVE_CALLS and len(node.args) >= 2:
                self._check_attribute_names(node, name, node.args[1:2])
        callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if callee == "attrgetter":  # operator.attrgetter('a.b') reaches attributes like getattr does
            self._check_attribute_names(node, callee, node.args, dotted=True)
        elif callee == "methodcaller" and node.args:
            self._check_attribute_names(node, callee, node.args[:1])

    def _check_attribute_names(self, node: ast.Call, name: str, args: list[ast.expr], dotted: bool = False) -> None:
        for attr in args:
            if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                parts = attr.value.split(".") if dotted else [attr.value]
                if any(_is_hidden_attribute(part) for part in parts):
                    self._add(node, "blocked-attribute", f"'{name}' of '{attr.value}' is not allowed")
            else:
                self._add(node, "dynamic-attribute",
                          f"'{name}' with a computed name cannot be checked", Severity.WARNING)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in BLOCKED_ATTRIBUTES:
            self._add(node, "blocked-attribute",
                      f"attribute '{node.attr}' is not allowed: it leads out of the sandboxed namespace")

    def visit_Name(self, node: ast.Name) -> None:
        if id(node) in self._reported_calls:
            return
        if node.id in BLOCKED_NAMES:
            self._add(node, "blocked-name", f"name '{node.id}' is not allowed")
        elif node.id in BLOCKED_CALLS and isinstance(node.ctx, ast.Load) and node.id not in self._bound:
            # `f = eval; f(...)` would get past the call check.
            self._add(node, "blocked-name", f"'{node.id}' is not allowed: it {BLOCKED_CALLS[node.id]}")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value in BLOCKED_NAMES:
            self._add(key, "blocked-name", f"key '{key.value}' is not allowed")

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            self._add(node, "bare-except", "bare 'except:' also catches timeouts and interrupts; name the exception",
                      Severity.WARNING)

    def visit_Global(self, node: ast.Global) -> None:
        self._add(node, "global-statement", "'global' makes strategies hard to reason about", Severity.WARNING)

    def _check_defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if isinstance(default, (ast.List, ast.Dict, ast.Set)):
                self._add(default, "mutable-default", "a mutable default argument is shared between calls",
                          Severity.WARNING)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_defaults(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_defaults(node)
