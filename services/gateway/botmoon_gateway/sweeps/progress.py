"""A sweep's progress: counts and the time left at the pace so far."""

from botmoon_gateway.schemas.sweeps import SweepProgress


def eta_s(done: int, total: int, elapsed_s: float) -> float | None:
    """Seconds left if the remaining runs go at the average pace so far: elapsed / done * (total - done).

    None before the first run is done (no pace yet) and once every run is done."""
    if done <= 0 or done >= total or elapsed_s < 0:
        return None
    return elapsed_s / done * (total - done)


def progress(done: int, total: int, failed: int = 0, elapsed_s: float | None = None,
             finished: bool = False) -> SweepProgress:
    """The `progress` object of a sweep's status; `elapsed_s` since the sweep started (None: not started)."""
    left = None if finished or elapsed_s is None else eta_s(done, total, elapsed_s)
    return SweepProgress(done=done, total=total, failed=failed, eta_s=None if left is None else round(left, 1))
