"""ETA from the pace so far."""

from botmoon_gateway.sweeps.progress import eta_s, progress


def test_eta_is_the_average_pace_times_what_is_left():
    assert eta_s(25, 100, 10.0) == 30.0
    assert eta_s(0, 100, 10.0) is None
    assert eta_s(100, 100, 10.0) is None
    assert progress(25, 100, failed=2, elapsed_s=10.0).model_dump() == {"done": 25, "total": 100, "failed": 2,
                                                                        "eta_s": 30.0}
    assert progress(25, 100, elapsed_s=10.0, finished=True).eta_s is None  # cancelled part-way
    assert progress(0, 100).eta_s is None
