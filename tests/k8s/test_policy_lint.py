"""checkov (its kubernetes framework, offline) over every rendered overlay: nothing fails but what
deploy/k8s/policy-waivers.yaml waives for that overlay, every waiver is still needed, and every per-resource
waiver (a checkov.io/skip annotation) gives its reason. checkov runs from a venv of its own (`make checkov`, or
made here from requirements/checkov.txt when missing): it pins packaging<24, which the project's venv can't take."""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from botmoon_testing.kubelet import render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CHECKOV = ROOT / "build" / "tools" / "checkov" / "bin" / "checkov"
WAIVERS = yaml.safe_load((K8S / "policy-waivers.yaml").read_text())


def ensure_checkov() -> Path:
    if not CHECKOV.exists():
        venv = CHECKOV.parents[1]
        venv.parent.mkdir(parents=True, exist_ok=True)
        with open(ROOT / "build" / ".checkov.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not CHECKOV.exists():
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
                requirements = ROOT / "requirements" / "checkov.txt"
                subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(requirements)], check=True,
                               timeout=900)
    return CHECKOV


@pytest.fixture(scope="module", params=sorted(WAIVERS))
def report(request, tmp_path_factory) -> tuple[str, dict]:
    checkov = ensure_checkov()
    manifest = tmp_path_factory.mktemp("checkov") / "rendered.yaml"
    manifest.write_text(yaml.safe_dump_all(render(K8S / request.param)))
    out = subprocess.run([str(checkov), "--framework", "kubernetes", "--file", str(manifest), "--output", "json",
                          "--compact", "--skip-download"],
                         capture_output=True, text=True, timeout=300, check=False, cwd=manifest.parent)
    assert out.returncode in (0, 1), out.stderr[-3000:]  # 1: some check failed (judged below)
    result = json.loads(out.stdout)
    result = result[0] if isinstance(result, list) else result
    return request.param, result


def test_nothing_fails_but_the_waived(report):
    overlay, result = report
    assert result["summary"]["passed"] > 100, result["summary"]
    failed = {(c["check_id"], c["resource"]) for c in result["results"]["failed_checks"]}
    unwaived = sorted(f for f in failed if f[0] not in WAIVERS[overlay])
    assert unwaived == [], f"{overlay}: fix these or waive them with a reason: {unwaived}"
    stale = sorted(set(WAIVERS[overlay]) - {check for check, _ in failed})
    assert stale == [], f"{overlay}: waivers no longer needed: {stale}"
    assert all(len(reason) > 30 for reason in WAIVERS[overlay].values())


def test_each_resource_waiver_gives_its_reason_and_only_the_engine_is_privileged(report):
    _, result = report
    skipped = result["results"]["skipped_checks"]
    assert skipped, "the sandbox pool's engine is privileged: its waivers should show"
    for check in skipped:
        reason = check.get("suppress_comment") or check.get("check_result", {}).get("suppress_comment") or ""
        assert len(reason) > 30, check["check_id"]
    privileged = {c["resource"] for c in skipped if c["check_id"] == "CKV_K8S_16"}
    assert len(privileged) == 1 and next(iter(privileged)).endswith(".sandbox"), privileged
