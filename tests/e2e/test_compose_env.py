"""scripts/compose-env.py: every setting of `.env.example` lands in its own service's env_file, later sources win,
and compose resolves the stack with those files (by `make up`'s files and, run by hand, the committed ones)."""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from botmoon_testing.compose import ROOT

SCRIPT = ROOT / "scripts" / "compose-env.py"
SERVICES = {"GATEWAY_": "gateway", "SANDBOX_": "sandbox", "MARKETDATA_": "marketdata", "BACKTEST_": "backtest"}
STACK_ONLY = {"BACKTEST_REPLICAS", "GATEWAY_REPLICAS", "GATEWAY_POSTGRES_PASSWORD"}  # the stack's, not a service's


def compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return [shutil.which("docker-compose") or "docker-compose"]


def run_script(out, env_file="", **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not re.match(r"^(GATEWAY|SANDBOX|MARKETDATA|BACKTEST)_", k)}
    return subprocess.run([sys.executable, str(SCRIPT), str(out), str(env_file)], capture_output=True, text=True,
                          env={**clean, **env})


def read(path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def example_settings() -> dict[str, str]:
    settings = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            key, _, value = line.partition("=")
            settings[key] = re.split(r"(?:^|\s+)#", value, maxsplit=1)[0].strip()
    return settings


def test_every_setting_of_env_example_reaches_its_service_only(tmp_path):
    settings = example_settings()
    assert run_script(tmp_path, ROOT / ".env.example").returncode == 0
    files = {service: read(tmp_path / f"{service}.env") for service in SERVICES.values()}
    for key, value in settings.items():
        if key in STACK_ONLY:
            continue
        prefix = next(p for p in SERVICES if key.startswith(p))
        assert files[SERVICES[prefix]].get(key, "").strip("'") == value, key
        assert all(key not in f for s, f in files.items() if s != SERVICES[prefix]), key
    assert read(tmp_path / "compose.env").keys() == settings.keys()


def test_the_environment_wins_over_the_file_and_the_file_over_the_compose_defaults(tmp_path):
    env_file = tmp_path / "my.env"
    env_file.write_text("export GATEWAY_API_KEYS='a b'  \nMARKETDATA_EXCHANGE_ACCESS=false # offline\nOTHER=1\n")
    assert run_script(tmp_path / "out", env_file).returncode == 0
    assert read(tmp_path / "out" / "marketdata.env") == {"MARKETDATA_EXCHANGE_ACCESS": "false"}
    assert read(tmp_path / "out" / "gateway.env") == {"GATEWAY_API_KEYS": "'a b'"}
    assert run_script(tmp_path / "out", env_file, GATEWAY_API_KEYS="k1").returncode == 0
    assert read(tmp_path / "out" / "gateway.env") == {"GATEWAY_API_KEYS": "k1"}
    assert read(tmp_path / "out" / "marketdata.env") == {"MARKETDATA_EXCHANGE_ACCESS": "false"}
    assert run_script(tmp_path / "none").returncode == 0
    assert read(tmp_path / "none" / "marketdata.env") == {"MARKETDATA_EXCHANGE_ACCESS": "true"}


def test_the_makefiles_own_variables_stay_out_of_the_services(tmp_path):
    assert run_script(tmp_path, BACKTEST_REPLICAS="3", GATEWAY_REPLICAS="2", BACKTEST_MAX_LEVERAGE="5").returncode == 0
    assert read(tmp_path / "backtest.env") == {"BACKTEST_MAX_LEVERAGE": "5"}
    assert "GATEWAY_REPLICAS" not in read(tmp_path / "gateway.env")


def test_a_value_compose_would_rewrite_is_refused_with_its_name(tmp_path):
    refused = run_script(tmp_path, GATEWAY_API_KEYS="abc$HOME")
    assert refused.returncode != 0 and "GATEWAY_API_KEYS" in refused.stderr


@pytest.mark.parametrize("by_hand", [False, True])
def test_compose_resolves_each_service_with_its_settings_and_pins(tmp_path, by_hand):
    # `make test` exports the stack's variables (BOTMOON_ENV_DIR, …): compose run by hand has none of them.
    env = {k: v for k, v in os.environ.items()
           if not re.match(r"^((GATEWAY|SANDBOX|MARKETDATA|BACKTEST)_.*|BOTMOON_ENV_DIR|HOST_PORT)$", k)}
    if not by_hand:
        assert run_script(tmp_path, GATEWAY_API_KEYS="k1", GATEWAY_PORT="1").returncode == 0
        env["BOTMOON_ENV_DIR"] = str(tmp_path)
    command = [*compose_command(), "-p", "botmoon-config-check", "-f", str(ROOT / "deploy/compose/compose.yaml")]
    run = subprocess.run([*command, "config"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    services = yaml.safe_load(run.stdout)["services"]
    gateway = services["gateway"]["environment"]
    assert gateway["GATEWAY_PORT"] == "37674" and gateway["BACKTEST_ADDR"] == "dns:///backtest:50053"
    assert gateway.get("GATEWAY_API_KEYS") == (None if by_hand else "k1")
    assert "GATEWAY_API_KEYS" not in services["backtest"]["environment"]
    [published] = services["gateway"]["ports"]  # a dict (compose v2) or "127.0.0.1:37674:37674/tcp" (1.29)
    assert "127.0.0.1" in str(published) and "37674" in str(published)
