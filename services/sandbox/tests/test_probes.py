"""What the start-up probe demands of a sandbox container before the service serves."""

import pytest

from botmoon_sandbox.probes import (
    EXPECTED,
    GVISOR,
    HOST_KERNEL,
    ProbeFailed,
    check_inside,
    check_registered,
    failures,
    kernel_seen,
)

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


ENGINE_KERNEL = "6.1.0-host"
GVISOR_LOG = "<6>[   0.000000] Starting gVisor...\n"


@pytest.mark.parametrize(("found", "seen"), [
    ({"kernel": ENGINE_KERNEL, "kernel_log": "errno 1"}, HOST_KERNEL),
    ({"kernel": "4.4.0", "kernel_log": GVISOR_LOG}, GVISOR),
    ({"kernel": ENGINE_KERNEL, "kernel_log": GVISOR_LOG}, HOST_KERNEL),  # the log alone is not enough
    ({"kernel": "5.15.0-other", "kernel_log": ""}, "an unknown kernel ('5.15.0-other')"),
])
def test_whose_kernel_the_probe_saw(found, seen):
    assert kernel_seen(found, ENGINE_KERNEL) == seen


def test_a_runtime_the_engine_lacks_is_refused_naming_what_it_has():
    with pytest.raises(ProbeFailed, match=r"'runsc' is not registered in the Docker engine \(it has: runc\)"):
        check_registered("runsc", {"runtimes": ["runc"], "kernel": ENGINE_KERNEL})


def test_a_runtime_without_known_evidence_is_refused():
    with pytest.raises(ProbeFailed, match="no known in-container evidence"):
        check_registered("kata", {"runtimes": ["kata", "runc"], "kernel": ENGINE_KERNEL})


@pytest.mark.parametrize(("runtime", "found"), [
    ("runsc", {"kernel": ENGINE_KERNEL, "kernel_log": "errno 1"}),  # "runsc" registered, but runc ran it
    ("runc", {"kernel": "4.4.0", "kernel_log": GVISOR_LOG}),  # "runc" registered, but gVisor ran it
])
def test_the_kernel_seen_inside_must_be_the_runtimes(runtime, found):
    with pytest.raises(ProbeFailed, match=f"runtime '{runtime}' should show"):
        check_inside(runtime, found, ENGINE_KERNEL)
    check_inside("runc" if runtime == "runsc" else "runsc", found, ENGINE_KERNEL)
