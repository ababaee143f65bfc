"""Flavours of sandbox container: what the runner imports before it forks its worker. A request takes the
cheapest flavour that serves the modules its code imports."""

import ast
from enum import Enum


class Flavour(Enum):
    """Cheapest first. The value is what the runner reads in its environment (botmoon_runner.protocol)."""

    STDLIB = "stdlib"  # a lean interpreter: the standard library only, numpy not even on the path
    NUMPY = "numpy"
    NUMERIC = "numpy+pandas"  # what strategy sessions use

    @property
    def setting_name(self) -> str:
        """How the flavour is spelled in settings: SANDBOX_POOL_<NAME>_MIN/_MAX."""
        return {Flavour.STDLIB: "stdlib", Flavour.NUMPY: "numpy", Flavour.NUMERIC: "numpy_pandas"}[self]


# The modules (top level) that need more than the standard library, and the cheapest flavour that has them.
NEEDS = {"numpy": Flavour.NUMPY, "pandas": Flavour.NUMERIC}
ORDER = tuple(Flavour)  # cheapest first


def for_modules(modules: frozenset[str] | set[str]) -> Flavour:
    """The cheapest flavour with every one of `modules` (dotted names are taken by their top package)."""
    needed = {NEEDS.get(name.split(".")[0], Flavour.STDLIB) for name in modules}
    return max(needed, key=ORDER.index, default=Flavour.STDLIB)


def imported_modules(tree: ast.AST) -> frozenset[str]:
    """Every module named by an import statement of the tree (relative imports name none)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return frozenset(found)


def for_code(code: str) -> Flavour:
    """The flavour of code that skipped validation: by its import statements; code that does not parse runs
    (and fails with its syntax error) in the cheapest one."""
    try:
        return for_modules(imported_modules(ast.parse(code)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Flavour.STDLIB
