"""What the start-up probe demands of a sandbox container before the service serves."""

import pytest

from botmoon_sandbox.probes import EXPECTED, failures

ISOLATED = {**EXPECTED, "uid": 65534}


def test_an_isolated_container_passes():
    assert failures(ISOLATED) == {}


@pytest.mark.parametrize(("key", "value"), [
    ("network", "reachable"), ("rootfs", "writable"), ("cap_eff", 0x20), ("no_new_privs", 0),
    ("runner_fds", "visible"), ("uid", 0), ("uid", None),
])
def test_each_broken_property_fails_the_probe(key, value):
    assert failures({**ISOLATED, key: value}) == {key: value}


def test_a_missing_finding_fails_the_probe():
    found = dict(ISOLATED)
    del found["runner_fds"]
    assert failures(found) == {"runner_fds": None}
