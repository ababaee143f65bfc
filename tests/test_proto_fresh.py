"""The committed stubs are what proto/ generates today."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_stubs_match_the_proto_files():
    run = subprocess.run(["scripts/proto.sh", "--check", "libs/botmoon-proto"], cwd=ROOT, capture_output=True,
                         text=True, env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "stubs are fresh" in run.stdout
