"""What a container's runner imports before it forks its worker, by the flavour the service started it as
(its argument, in the container's command: the user code's environment stays as it was). The stdlib flavour is
a lean interpreter: nothing numeric imported, and the installed packages taken off the path once the runner's
own modules are loaded, so its user code cannot import them."""

import sys

PRE_IMPORTS = {"stdlib": (), "numpy": ("numpy",), "numpy+pandas": ("numpy", "pandas")}
DEFAULT = "numpy+pandas"  # a runner started without a flavour (an older service) has everything
RUNNER_MODULES = ("botmoon_runner.execute",)  # what the worker imports for its first request


def chosen(argv: list[str]) -> str:
    """The flavour named by the runner's first argument, else the default."""
    name = argv[0] if argv else DEFAULT
    if name not in PRE_IMPORTS:
        raise ValueError(f"unknown sandbox flavour {name!r}; known: {', '.join(PRE_IMPORTS)}")
    return name


def prepare(name: str) -> None:
    """Imports the flavour's modules (the worker inherits them); the stdlib flavour then drops the packages."""
    for module in (*RUNNER_MODULES, *PRE_IMPORTS[name]):
        __import__(module)
    if not PRE_IMPORTS[name]:
        sys.path[:] = [entry for entry in sys.path if not entry.endswith("-packages")]
        sys.path_importer_cache.clear()
