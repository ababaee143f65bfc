"""How many warm containers each flavour's pool keeps: a target between its minimum and maximum that follows
demand (an exponentially decayed rate of acquisitions), all targets within one budget of warm containers."""

import math
from dataclasses import dataclass

from botmoon_sandbox.domain.flavour import Flavour

HEADROOM = 1.5  # warm containers per container expected to be taken while one starts
# Which flavour's minimum is served first when the budget cannot hold every minimum: the one whose cold start
# costs the most (numpy and pandas imported) first.
MIN_PRIORITY = (Flavour.NUMERIC, Flavour.STDLIB, Flavour.NUMPY)


@dataclass(frozen=True)
class Bounds:
    min: int
    max: int

    def __post_init__(self):
        if not 0 <= self.min <= self.max:
            raise ValueError(f"pool bounds need 0 <= min <= max, got {self.min}..{self.max}")


class DecayedRate:
    """Events per second, each event's weight decaying exponentially with the given half-life: a steady
    rate r reads r; with no more events it halves every half-life."""

    def __init__(self, half_life_s: float):
        if half_life_s <= 0:
            raise ValueError("half_life_s must be positive")
        self._tau = half_life_s / math.log(2)
        self._value = 0.0
        self._at: float | None = None

    def note(self, now: float) -> None:
        self._value = self.rate(now) + 1.0 / self._tau
        self._at = now

    def rate(self, now: float) -> float:
        if self._at is None:
            return 0.0
        return self._value * math.exp(-max(0.0, now - self._at) / self._tau)


def wanted(rate_per_s: float, lead_s: float, bounds: Bounds) -> int:
    """Containers to keep warm or starting: those taken, at this rate, while one starts (Little's law), with
    some headroom, rounded to the nearest, and held between the bounds."""
    demand = int(rate_per_s * lead_s * HEADROOM + 0.5)
    return min(bounds.max, max(bounds.min, demand))


def targets(bounds: dict[Flavour, Bounds], rates: dict[Flavour, float], lead_s: dict[Flavour, float],
            budget: int) -> dict[Flavour, int]:
    """Each flavour's target. Within the budget every flavour gets what it wants; beyond it, minimums come
    first (in MIN_PRIORITY order), then the rest one container at a time to the flavour that is furthest
    short of what it wants."""
    want = {f: wanted(rates.get(f, 0.0), lead_s.get(f, 1.0), b) for f, b in bounds.items()}
    if sum(want.values()) <= budget:
        return want
    given = dict.fromkeys(bounds, 0)
    left = budget
    for flavour in MIN_PRIORITY:
        if flavour in bounds:
            share = min(bounds[flavour].min, left)
            given[flavour] += share
            left -= share
    while left > 0:
        short = {f: want[f] - given[f] for f in bounds if want[f] > given[f]}
        if not short:
            break
        neediest = max(short, key=lambda f: (short[f], -MIN_PRIORITY.index(f)))
        given[neediest] += 1
        left -= 1
    return given
