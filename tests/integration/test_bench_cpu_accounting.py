"""The benchmark's CPU ledger (bench/cpu_accounting.py) against work of known cost, on the real kernel and engine."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ runs from the repo root; not installed
from bench.cpu_accounting import CpuLedger

BURN = "import time\nwhile time.process_time() < {s}: pass"


def _burn_here(seconds: float) -> None:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def test_a_short_lived_child_and_a_living_thread_are_counted_at_their_cost(tmp_path):
    burner = tmp_path / "cpu-burner"  # the child's process name, so its record can be told from ours
    burner.symlink_to(sys.executable)
    with CpuLedger({os.getpid(): "test"}) as ledger:
        subprocess.run([str(burner), "-c", BURN.format(s=0.3)], check=True)  # born and gone inside the window
        _burn_here(0.2)  # alive at both ends
    child = ledger.by_name[("test", "cpu-burner")]
    assert ledger.lost == 0
    assert 0.3 <= child < 0.6  # its 0.3 s of burning and its interpreter's start
    assert 0.2 <= ledger.by_kind["test"] - child < 0.5
    # all threads together against the machine's own count of the window (/proc/stat ticks): the same time
    assert abs(sum(ledger.by_kind.values()) - ledger.machine_s) <= 0.1 * ledger.machine_s + 0.1


@pytest.mark.docker
def test_a_container_run_is_split_over_the_engine_processes():
    argv = ["docker", "run", "--rm", "--network", "none", "--entrypoint", "python",
            "botmoon/sandbox-runner:latest", "-I", "-S", "-c", BURN.format(s=0.2)]
    with CpuLedger({os.getpid(): "test"}) as ledger:
        subprocess.run(argv, check=True)
    for kind in ("dockerd", "containerd", "containerd-shim", "runc", "docker CLI"):
        assert ledger.by_kind.get(kind, 0) > 0, (kind, ledger.by_kind)
    assert ledger.by_kind["container processes"] >= 0.2  # the container's interpreter burnt 0.2 s
