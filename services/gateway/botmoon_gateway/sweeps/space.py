"""A parameter space as the list of combinations to run: the full grid, or `samples` drawn at random.

Grid order: the space's parameters in the order given, the last one varying fastest (itertools.product).
Ranges are stepped in decimal: value i = start + i * step computed on the decimal spelling of the numbers, so
{start 0.1, stop 0.5, step 0.1} is exactly [0.1, 0.2, 0.3, 0.4, 0.5]. The size is known per parameter without
building the values, and checked against the limit before any combination is made.
"""

import itertools
import json
import math
import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from botmoon_gateway.errors import FieldError
from botmoon_gateway.schemas.sweeps import BoundsSpec, RangeSpec

LIMIT_SETTING = "GATEWAY_SWEEP_MAX_COMBINATIONS"
# Attempts per wanted sample when continuous parameters are drawn (a repeat is drawn again).
DRAW_ATTEMPTS = 20


class SpaceError(FieldError):
    """A space that cannot be run: `field` is its path ("space.fast_period", "samples"), `reason` says why (422)."""


class RangeValues(Sequence):
    """The values of an inclusive range, computed on demand: len() and [i] without building a list."""

    def __init__(self, spec: RangeSpec, field: str):
        self.integer = spec.integer
        self._start, self._step = _decimal(spec.start), _decimal(spec.step)
        try:
            self._size = int((_decimal(spec.stop) - self._start) // self._step) + 1
        except InvalidOperation:
            raise SpaceError(field, "too many values: (stop - start) / step is beyond counting") from None
        if self._size < 1:
            raise SpaceError(field, "empty: stop is below start")

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._size))]
        if not -self._size <= i < self._size:
            raise IndexError(i)
        value = self._start + (i % self._size) * self._step
        return int(value) if self.integer else float(value)


def parameter_values(name: str, value) -> Sequence | None:
    """The finite values of one parameter (a list, a range, integer bounds), or None for continuous bounds."""
    field = f"space.{name}"
    if isinstance(value, RangeSpec):
        return RangeValues(value, field)
    if isinstance(value, BoundsSpec):
        return range(value.min, value.max + 1) if value.integer else None
    if not isinstance(value, list):
        raise SpaceError(field, f"not a space value: {type(value).__name__}")
    if not value:
        raise SpaceError(field, "empty")
    return value


def grid_size(space: Mapping[str, Any]) -> int | None:
    """How many combinations the full grid has (None when a parameter is continuous), without building it."""
    sizes = [parameter_values(name, value) for name, value in space.items()]
    if any(values is None for values in sizes):
        return None
    return math.prod(len(values) for values in sizes)


def combination_count(space: Mapping[str, Any], samples: int | None = None) -> int:
    """How many combinations `expand` gives: the grid's size, or `samples` (at most the grid's size)."""
    if not space:
        raise SpaceError("space", "empty: give at least one parameter")
    size = grid_size(space)
    if samples is None:
        if size is None:
            name = next(n for n, v in space.items() if parameter_values(n, v) is None)
            raise SpaceError(f"space.{name}", "min/max bounds are drawn at random: set samples")
        return size
    if samples < 1:
        raise SpaceError("samples", "must be at least 1")
    return samples if size is None else min(samples, size)


def check_limit(count: int, limit: int, field: str = "space") -> None:
    """Refuse `count` runs when more than `limit` (the setting GATEWAY_SWEEP_MAX_COMBINATIONS)."""
    if count > limit:
        raise SpaceError(field, f"{count} combinations is more than the limit of {limit} ({LIMIT_SETTING})")


def expand(space: Mapping[str, Any], *, samples: int | None = None, seed: int = 0,
           limit: int | None = None) -> list[dict[str, Any]]:
    """The combinations to run, each {parameter: value}; checked against `limit` before any is made.

    Without `samples`: the full grid in grid order. With `samples`: that many distinct combinations drawn with
    `random.Random(seed)` (the same seed gives the same list); when every parameter is finite they are drawn
    without replacement from the grid and listed in grid order, and a grid no larger than `samples` is returned
    whole. Continuous bounds are drawn uniformly (random.uniform); a repeated combination is drawn again.
    """
    count = combination_count(space, samples)
    if limit is not None:
        check_limit(count, limit, "space" if samples is None else "samples")
    names = list(space)
    values = [parameter_values(name, space[name]) for name in names]
    if samples is None or grid_size(space) == count:
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    if all(v is not None for v in values):
        picked = sorted(rng.sample(range(math.prod(len(v) for v in values)), count))
        return [dict(zip(names, combination_at(values, index), strict=True)) for index in picked]
    return _draw(names, [space[n] for n in names], values, count, rng)


def combination_at(values: Sequence[Sequence], index: int) -> list:
    """The grid's combination number `index` (grid order: the last parameter varies fastest)."""
    combo = []
    for column in reversed(values):
        index, position = divmod(index, len(column))
        combo.append(column[position])
    return combo[::-1]


def check_parameters(space: Mapping[str, Any], accepted: Collection[str], takes_any: bool = False) -> None:
    """Refuse a space parameter the strategy does not take (`accepted`: the names validation found; `takes_any`:
    it takes **kwargs or reads parameters it does not name, so every name is accepted)."""
    if takes_any:
        return
    for name in space:
        if name not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise SpaceError(f"space.{name}", f"the strategy does not take a parameter {name!r} (it takes: {known})")


def chunks(indexes: Sequence[int], size: int) -> Iterator[list[int]]:
    """`indexes` in consecutive pieces of `size` (the last one shorter), in order."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for at in range(0, len(indexes), size):
        yield list(indexes[at:at + size])


def _draw(names, specs, values, count, rng) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for _ in range(count * DRAW_ATTEMPTS):
        combo = {name: (rng.uniform(spec.min, spec.max) if column is None else column[rng.randrange(len(column))])
                 for name, spec, column in zip(names, specs, values, strict=True)}
        key = json.dumps(combo, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(combo)
            if len(out) == count:
                return out
    raise SpaceError("samples", f"could draw only {len(out)} distinct combinations of {count}: widen the bounds")


def _decimal(number: int | float) -> Decimal:
    """The number as written: 0.1 is Decimal('0.1'), not the binary float's expansion."""
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))
