"""AST validation of submitted code: every rule, with the exact position it reports."""

import textwrap

import pytest

from botmoon_sandbox.domain.validation import Problem, Severity, validate

ERROR = Severity.ERROR
WARNING = Severity.WARNING


def problems_of(code: str) -> list[tuple[str, int, int, Severity]]:
    return [(p.rule, p.line, p.column, p.severity) for p in validate(code).problems]


def only_problem(code: str) -> Problem:
    report = validate(code)
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


# --- errors -----------------------------------------------------------------------------------------------------

BLOCKED_MODULES = ["os", "sys", "subprocess", "socket", "ctypes", "importlib", "multiprocessing", "shutil",
                   "pathlib", "builtins"]


@pytest.mark.parametrize("module", BLOCKED_MODULES)
def test_import_of_blocked_module_is_reported_at_the_import(module):
    code = f"x = 1\nif x:\n    import {module}\n"
    problem = only_problem(code)
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-import", 3, 5, ERROR)
    assert f"'{module}'" in problem.message
    assert validate(code).valid is False


@pytest.mark.parametrize("module", BLOCKED_MODULES)
def test_aliased_import_of_blocked_module_is_reported(module):
    assert problems_of(f"import math\nimport {module} as harmless\n") == [("blocked-import", 2, 1, ERROR)]


def test_from_blocked_module_import_name_is_reported():
    problem = only_problem("import numpy as np\n\n    \nif True:\n  from os import path\n")
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-import", 5, 3, ERROR)
    assert "'os'" in problem.message
    assert "reaches the operating system" in problem.message


def test_import_of_blocked_submodule_is_reported_with_its_dotted_name():
    problem = only_problem("import math\nimport os.path\n")
    assert (problem.rule, problem.line, problem.column) == ("blocked-import", 2, 1)
    assert "'os.path'" in problem.message


def test_each_blocked_name_in_one_import_statement_is_reported():
    assert problems_of("import math, os, sys\n") == [("blocked-import", 1, 1, ERROR), ("blocked-import", 1, 1, ERROR)]


@pytest.mark.parametrize("module", ["scipy", "sklearn", "talib", "numpyx"])
def test_import_of_module_outside_the_allow_list_is_unknown(module):
    problem = only_problem(f"import numpy\n\ndef f():\n    import {module}\n")
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("unknown-import", 4, 5, ERROR)
    assert f"'{module}'" in problem.message
    assert "numpy" in problem.message  # the message lists what is available


def test_known_network_library_is_blocked_not_unknown():
    problem = only_problem("x = 1\nimport requests\n")
    assert (problem.rule, problem.line, problem.column) == ("blocked-import", 2, 1)
    assert "reaches the network" in problem.message


def test_from_unknown_module_import_is_unknown():
    assert problems_of("x = 0\nfrom scipy.signal import lfilter\n") == [("unknown-import", 2, 1, ERROR)]


@pytest.mark.parametrize("code", ["x = 1\nfrom . import helpers\n", "x = 1\nfrom ..pkg import helpers\n"])
def test_relative_import_is_reported(code):
    assert problems_of(code) == [("relative-import", 2, 1, ERROR)]


@pytest.mark.parametrize("name", ["eval", "exec", "open", "compile", "__import__", "input", "breakpoint",
                                  "globals", "locals", "vars", "help", "exit", "quit"])
def test_call_of_blocked_builtin_is_reported_once_at_the_call(name):
    code = f"x = 1\ny = [2,   {name}('a')]\n"
    problem = only_problem(code)
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-call", 2, 11, ERROR)
    assert f"'{name}()'" in problem.message


def test_blocked_call_inside_a_method_is_reported():
    code = textwrap.dedent("""\
        class Strategy:
            def run(self, data):
                return eval("data['close'] * 2")
    """)
    assert problems_of(code) == [("blocked-call", 3, 16, ERROR)]


@pytest.mark.parametrize("attribute", ["__subclasses__", "__globals__", "__builtins__", "__class__", "__dict__",
                                       "__bases__", "__mro__", "__code__", "f_globals", "gi_frame", "tb_frame"])
def test_blocked_attribute_is_reported_at_the_attribute_expression(attribute):
    problem = only_problem(f"x = 1\ny = 2 + x.{attribute}\n")
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-attribute", 2, 9, ERROR)
    assert f"'{attribute}'" in problem.message


def test_classic_subclasses_escape_reports_every_step():
    code = "x = 1\nescape = ().__class__.__bases__[0].__subclasses__()\n"
    assert problems_of(code) == [("blocked-attribute", 2, 10, ERROR)] * 3
    assert {p.message.split("'")[1] for p in validate(code).problems} == {"__class__", "__bases__", "__subclasses__"}
    assert validate(code).valid is False


@pytest.mark.parametrize("code", [
    "x = 1\nleak = [].__class__\n",
    "x = 1\nleak = type(x).__subclasses__\n",
    "x = 1\nleak = x.__dict__\n",
    "x = 1\nleak = (lambda: 0).__globals__\n",
])
def test_common_escapes_are_blocked(code):
    found = problems_of(code)
    assert found == [("blocked-attribute", 2, 8, ERROR)]
    assert validate(code).valid is False


@pytest.mark.parametrize("function", ["getattr", "setattr", "delattr", "hasattr"])
@pytest.mark.parametrize("attribute", ["__class__", "__globals__", "__anything__", "f_back"])
def test_reflective_call_with_hidden_attribute_string_is_blocked(function, attribute):
    extra = ", None" if function == "setattr" else ""
    problem = only_problem(f"obj = 1\nv = {function}(obj, '{attribute}'{extra})\n")
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-attribute", 2, 5, ERROR)
    assert f"'{function}' of '{attribute}'" in problem.message


def test_getattr_with_ordinary_attribute_string_is_allowed():
    assert problems_of("class P:\n    fast = 12\nv = getattr(P, 'fast', 10)\nw = hasattr(P, '_cache')\n") == []


@pytest.mark.parametrize("code", [
    "import operator\nx = 1\ng = operator.attrgetter('__globals__')\n",
    "import operator\nx = 1\ng = operator.attrgetter('price', 'fn.__globals__')\n",
    "from operator import methodcaller\nx = 1\ng = methodcaller('__subclasses__')\n",
])
def test_operator_attrgetter_and_methodcaller_with_hidden_attribute_are_blocked(code):
    assert problems_of(code) == [("blocked-attribute", 3, 5, ERROR)]


def test_operator_attrgetter_with_ordinary_attributes_is_allowed():
    assert problems_of("import operator\nkey = operator.attrgetter('price', 'fill.qty')\n") == []


def test_blocked_name_builtins_is_reported():
    problem = only_problem("x = 1\nb = __builtins__\n")
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-name", 2, 5, ERROR)
    assert "'__builtins__'" in problem.message


@pytest.mark.parametrize("name", ["__loader__", "__spec__"])
def test_other_blocked_names_are_reported(name):
    assert problems_of(f"x = 1\ny = [{name}]\n") == [("blocked-name", 2, 6, ERROR)]


def test_builtins_key_in_a_string_subscript_is_reported_at_the_key():
    problem = only_problem("namespace = {}\nb = namespace['__builtins__']\n")
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("blocked-name", 2, 15, ERROR)


@pytest.mark.parametrize(("code", "column"), [
    ("x = 1\nrun = eval\n", 7),
    ("x = 1\nrun = [exec][0]\n", 8),
    ("x = 1\nf = open\n", 5),
    ("x = 1\nlist(map(compile, ['1'], ['f'], ['eval']))\n", 10),
])
def test_blocked_builtin_used_as_a_value_is_reported(code, column):
    assert problems_of(code) == [("blocked-name", 2, column, ERROR)]


@pytest.mark.parametrize("name", ["open", "exit", "input"])
def test_user_variable_shadowing_a_blocked_builtin_is_allowed(name):
    code = textwrap.dedent(f"""\
        import pandas as pd

        def signals(data: pd.DataFrame):
            {name} = data['open']
            close = data['close']
            return (close - {name}) > 0
    """)
    assert problems_of(code) == []


def test_syntax_error_reports_line_and_column_of_the_parser():
    code = "x = 1\ny = (2 +\n"
    problem = only_problem(code)
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("syntax-error", 2, 5, ERROR)
    assert problem.message == "'(' was never closed"
    assert validate(code).valid is False


def test_syntax_error_in_an_indented_block():
    problem = only_problem("def f():\n    return 1 +* 2\n")
    assert (problem.rule, problem.line, problem.column) == ("syntax-error", 2, 15)
    assert problem.message == "invalid syntax"


def test_code_over_the_byte_limit_is_too_large():
    code = "x = 1\n" * 20
    problems = validate(code, max_bytes=len(code) - 1).problems
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("too-large", 1, 1, ERROR)
    assert f"{len(code)} bytes" in problem.message
    assert validate(code, max_bytes=len(code)).valid is True


def test_byte_limit_counts_utf8_bytes_not_characters():
    code = "s = 'ééé'\n"  # 10 characters, 13 bytes
    assert validate(code, max_bytes=12).problems[0].rule == "too-large"
    assert validate(code, max_bytes=13).valid is True


@pytest.mark.parametrize("code", ["", "   ", "\n\n\t\n"])
def test_empty_code_is_reported(code):
    assert problems_of(code) == [("empty", 1, 1, ERROR)]
    assert validate(code).valid is False


@pytest.mark.parametrize("code", ["x = 1" + " + 1" * 1500, "x = a" + ".b" * 1500])
def test_deep_but_parseable_code_is_checked_without_recursion_error(code):
    assert problems_of(code) == []


@pytest.mark.parametrize("code", ["x = 1" + " + 1" * 20000, "x = " + "-" * 100000 + "1"])
def test_code_too_deep_to_parse_is_reported_not_raised(code):
    assert problems_of(code) == [("too-complex", 1, 1, ERROR)]


# --- warnings ---------------------------------------------------------------------------------------------------

def test_star_import_from_allowed_module_is_a_warning_only():
    code = "x = 1\nfrom math import *\n"
    report = validate(code)
    assert problems_of(code) == [("star-import", 2, 1, WARNING)]
    assert report.valid is True
    assert report.errors == []
    assert [p.rule for p in report.warnings] == ["star-import"]


def test_star_import_from_blocked_module_is_an_error_and_a_warning():
    report = validate("x = 1\nfrom os import *\n")
    assert [(p.rule, p.line, p.column, p.severity) for p in report.problems] == [
        ("blocked-import", 2, 1, ERROR), ("star-import", 2, 1, WARNING)]
    assert report.valid is False


def test_bare_except_is_a_warning():
    code = textwrap.dedent("""\
        def f(x):
            try:
                return 1 / x
            except:
                return None
    """)
    assert problems_of(code) == [("bare-except", 4, 5, WARNING)]
    assert validate(code).valid is True


def test_named_except_is_not_a_warning():
    assert problems_of("try:\n    x = 1\nexcept ZeroDivisionError:\n    x = 0\n") == []


def test_global_statement_is_a_warning():
    code = "counter = 0\n\ndef bump():\n    global counter\n    counter += 1\n"
    assert problems_of(code) == [("global-statement", 4, 5, WARNING)]
    assert validate(code).valid is True


@pytest.mark.parametrize(("signature", "column"), [
    ("def f(a, b=[]):", 12),
    ("def f(a, b={}):", 12),
    ("def f(a, b={1}):", 12),
    ("def f(a, *, b=[]):", 15),
    ("async def f(a, b=[]):", 18),
])
def test_mutable_default_is_a_warning_at_the_default(signature, column):
    code = f"x = 1\n{signature}\n    return b\n"
    assert problems_of(code) == [("mutable-default", 2, column, WARNING)]
    assert validate(code).valid is True


def test_immutable_defaults_are_not_warnings():
    assert problems_of("def f(a, b=None, c=(1, 2), *, d=3, e='x'):\n    return a\n") == []


@pytest.mark.parametrize("function", ["getattr", "setattr", "hasattr", "delattr"])
def test_reflective_call_with_computed_name_is_a_warning(function):
    extra = ", 1" if function == "setattr" else ""
    code = f"obj = 1\nname = 'x'\nv = {function}(obj, name{extra})\n"
    assert problems_of(code) == [("dynamic-attribute", 3, 5, WARNING)]
    assert validate(code).valid is True


def test_operator_attrgetter_with_computed_name_is_a_warning():
    code = "import operator\nname = 'price'\nkey = operator.attrgetter(name)\n"
    assert problems_of(code) == [("dynamic-attribute", 3, 7, WARNING)]


def test_problems_are_sorted_by_position_and_errors_and_warnings_split():
    code = textwrap.dedent("""\
        import sys
        def f(a=[]):
            try:
                return eval(a)
            except:
                return None
    """)
    report = validate(code)
    assert [(p.rule, p.line, p.column) for p in report.problems] == [
        ("blocked-import", 1, 1), ("mutable-default", 2, 9), ("blocked-call", 4, 16), ("bare-except", 5, 5)]
    assert [p.rule for p in report.errors] == ["blocked-import", "blocked-call"]
    assert [p.rule for p in report.warnings] == ["mutable-default", "bare-except"]
    assert report.valid is False


# --- allowed code -----------------------------------------------------------------------------------------------

def test_numpy_pandas_and_math_code_passes():
    code = textwrap.dedent("""\
        import math
        import numpy as np
        import pandas as pd
        from collections import deque
        from datetime import datetime, timedelta

        prices = np.array([100.0, 101.5, 99.8, 102.3, 103.1])
        returns = np.diff(np.log(prices))
        volatility = float(np.std(returns) * math.sqrt(252))
        index = pd.date_range(datetime(2024, 1, 1), periods=len(prices), freq="D")
        frame = pd.DataFrame({"close": prices}, index=index)
        frame["sma"] = frame["close"].rolling(3).mean()
        frame["ret"] = frame["close"].pct_change()
        window = deque(maxlen=3)
        for value in frame["close"]:
            window.append(value)
        later = index[-1] + timedelta(days=1)
        result = {"volatility": volatility, "last_sma": frame["sma"].iloc[-1], "next": later.isoformat(),
                  "log": math.log(prices[-1]), "name": frame.columns[0].upper()}
        print(result)
    """)
    report = validate(code)
    assert report.problems == ()
    assert report.valid is True


EMA_STRATEGY = '''\
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class BaseStrategy:
    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.params = dict(params or {})


@dataclass(frozen=True)
class Levels:
    take_profit: float
    stop_loss: float


class EmaCrossoverStrategy(BaseStrategy):
    """Goes long when the fast EMA crosses above the slow one, short on the opposite cross."""

    def __init__(self, params):
        super().__init__(params)
        self.fast = int(self.params.get("fast_period", 12))
        self.slow = int(self.params.get("slow_period", 26))
        self.risk = float(getattr(self, "risk", self.params.get("risk_per_trade", 0.01)))
        if self.fast >= self.slow:
            raise ValueError("fast_period must be shorter than slow_period")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fast={self.fast}, slow={self.slow})"

    def _ema(self, series: pd.Series, span: int) -> pd.Series:
        return series.ewm(span=span, adjust=False).mean()

    def generate_signals(self, data: pd.DataFrame) -> dict:
        close = data["close"].astype(float)
        fast = self._ema(close, self.fast)
        slow = self._ema(close, self.slow)
        above = (fast > slow).astype(int)
        cross = above.diff().fillna(0)
        signals = []
        for timestamp, change in cross.items():
            if change > 0:
                signals.append({"time": str(timestamp), "side": "buy", "price": float(close[timestamp])})
            elif change < 0:
                signals.append({"time": str(timestamp), "side": "sell", "price": float(close[timestamp])})
        return {"signals": signals}

    def calculate_tp_sl_levels(self, entry_price: float, side: str, atr: float) -> Levels:
        distance = max(atr, entry_price * 0.005)
        if side == "buy":
            return Levels(entry_price + 2 * distance, entry_price - distance)
        return Levels(entry_price - 2 * distance, entry_price + distance)

    def calculate_position_size(self, balance: float, entry_price: float, stop_loss: float) -> float:
        risk_amount = balance * self.risk
        per_unit = abs(entry_price - stop_loss)
        if per_unit == 0 or math.isnan(per_unit):
            return 0.0
        return float(np.floor(risk_amount / per_unit * 1000) / 1000)


if __name__ == "__main__":
    rng = np.random.default_rng(7)
    index = pd.date_range("2024-01-01", periods=200, freq="h")
    data = pd.DataFrame({"close": 100 + rng.standard_normal(200).cumsum()}, index=index)
    strategy = EmaCrossoverStrategy({"fast_period": 5, "slow_period": 20})
    result = strategy.generate_signals(data)
    levels = strategy.calculate_tp_sl_levels(101.0, "buy", atr=1.2)
    size = strategy.calculate_position_size(10_000, 101.0, levels.stop_loss)
    print(len(result["signals"]), levels, size)
'''


def test_ema_crossover_strategy_passes_with_no_problems():
    report = validate(EMA_STRATEGY)
    assert report.problems == ()
    assert report.valid is True


def test_ema_crossover_strategy_actually_runs():
    namespace: dict = {"__name__": "__main__"}
    exec(compile(EMA_STRATEGY, "<strategy>", "exec"), namespace)
    strategy = namespace["strategy"]
    assert isinstance(namespace["result"]["signals"], list)
    assert all(s["side"] in {"buy", "sell"} for s in namespace["result"]["signals"])
    levels = strategy.calculate_tp_sl_levels(100.0, "sell", atr=1.0)
    assert (levels.take_profit, levels.stop_loss) == (98.0, 101.0)
    assert strategy.calculate_position_size(10_000, 100.0, 101.0) == 100.0


def test_warnings_alone_keep_code_valid():
    code = "from math import *\n\ndef f(a=[]):\n    try:\n        return sqrt(a[0])\n    except:\n        return 0\n"
    report = validate(code)
    assert report.valid is True
    assert report.errors == []
    assert {p.rule for p in report.warnings} == {"star-import", "mutable-default", "bare-except"}
