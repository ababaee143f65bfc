"""A request takes the cheapest container flavour that has what its code imports."""

import pytest

from botmoon_runner import flavours as runner_flavours
from botmoon_sandbox.domain import flavour
from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.domain.validation import validate


@pytest.mark.parametrize(("code", "expected"), [
    ("print('Hello from AI!')\nresult = 42", Flavour.STDLIB),
    ("import math, statistics\nfrom datetime import date\nresult = math.pi", Flavour.STDLIB),
    ("import numpy as np\nresult = np.arange(3).sum()", Flavour.NUMPY),
    ("from numpy.linalg import norm\nresult = 1", Flavour.NUMPY),
    ("import numpy.random\nresult = 1", Flavour.NUMPY),
    ("import pandas as pd\nresult = pd.Series([1]).sum()", Flavour.NUMERIC),
    ("from pandas import DataFrame\nresult = 1", Flavour.NUMERIC),
    ("import math\nimport numpy\ndef f():\n    import pandas\n    return 1\nresult = f()", Flavour.NUMERIC),
])
def test_validation_picks_the_cheapest_flavour_that_has_the_imports(code, expected):
    report = validate(code)
    assert report.valid, report.problems
    assert report.flavour is expected
    assert flavour.for_code(code) is expected


def test_the_report_names_every_imported_module():
    report = validate("import math, numpy.linalg\nfrom collections import deque\nfrom . import x\nresult = 1")
    assert report.imports == frozenset({"math", "numpy.linalg", "collections"})


@pytest.mark.parametrize("modules", [set(), {"json"}, {"numpy"}, {"pandas"}, {"numpy", "pandas", "math"}])
def test_the_flavour_of_modules_is_the_most_demanding_one_they_need(modules):
    needed = [flavour.NEEDS[m] for m in modules if m in flavour.NEEDS]
    expected = max(needed, key=flavour.ORDER.index) if needed else Flavour.STDLIB
    assert flavour.for_modules(modules) is expected


def test_code_that_does_not_parse_takes_the_cheapest_flavour():
    assert flavour.for_code("import pandas\ndef (:") is Flavour.STDLIB


def test_every_flavour_is_one_the_runner_knows_and_preimports_what_it_serves():
    assert {f.value for f in Flavour} == set(runner_flavours.PRE_IMPORTS)
    for module, needed in flavour.NEEDS.items():
        for f in Flavour:
            has = module in runner_flavours.PRE_IMPORTS[f.value]
            assert has == (flavour.ORDER.index(f) >= flavour.ORDER.index(needed)), (module, f)


def test_the_runner_takes_its_flavour_from_its_argument_and_refuses_an_unknown_one():
    assert runner_flavours.chosen(["stdlib"]) == "stdlib"
    assert runner_flavours.chosen([]) == runner_flavours.DEFAULT == Flavour.NUMERIC.value
    with pytest.raises(ValueError, match="unknown sandbox flavour 'scipy'"):
        runner_flavours.chosen(["scipy"])
