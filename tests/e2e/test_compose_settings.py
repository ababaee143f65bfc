"""Every setting reaches its service under compose: `SETTING=value make up` and a `.env` file (ENV_FILE), read
back from each service's own settings class in its container; API keys close the API for real."""

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(1200)]

FROM_ENVIRONMENT = {
    "GATEWAY_API_KEYS": "k1",
    "GATEWAY_LIVE_WINDOW": "123",
    "GATEWAY_ALLOWED_HOSTS": "botmoon.test",
    "GATEWAY_PORT": "1234",  # pinned by compose.yaml: the gateway still listens on 37674 in its container
    "SANDBOX_WALL_TIME_S": "7",
    "SANDBOX_MAX_CONCURRENT": "3",
    "MARKETDATA_DEFAULT_LIMIT": "321",
    "BACKTEST_MAX_LEVERAGE": "5",
}
ENV_FILE = """# as a user writes it
SANDBOX_PIDS_LIMIT=48
BACKTEST_DEFAULT_MAX_POINTS=1500     # a trailing comment
GATEWAY_LIVE_WINDOW=99               # the environment wins
MARKETDATA_DOWN_FOR_S="45"
"""


@pytest.fixture(scope="module")
def configured(stack, tmp_path_factory):
    env_file = tmp_path_factory.mktemp("compose-env") / ".env"
    env_file.write_text(ENV_FILE)
    stack.up(env_file=str(env_file), **FROM_ENVIRONMENT)
    try:
        yield stack
    finally:
        stack.up()


def test_settings_from_the_environment_and_env_file_reach_each_service(configured):
    gateway = configured.settings_of("gateway")
    assert (gateway["api_keys"], gateway["live_window"], gateway["allowed_hosts"]) == ("k1", 123, "botmoon.test")
    assert (gateway["port"], gateway["host"], gateway["bind"]) == (37674, "0.0.0.0", "127.0.0.1")
    sandbox = configured.settings_of("sandbox")
    assert (sandbox["wall_time_s"], sandbox["max_concurrent"], sandbox["pids_limit"]) == (7, 3, 48)
    assert sandbox["pool_name"] == configured.pool
    marketdata = configured.settings_of("marketdata")
    assert (marketdata["default_limit"], marketdata["down_for_s"]) == (321, 45)
    assert marketdata["exchange_access"] is False  # the test stack's own setting (tests/e2e/conftest.py)
    backtest = configured.settings_of("backtest")
    assert (backtest["max_leverage"], backtest["default_max_points"]) == (5, 1500)


def test_a_service_gets_only_its_own_settings(configured):
    [backtest] = configured.containers("backtest")[:1]
    exit_code, output = backtest.exec_run(["/venv/bin/python", "-c", "import os; print(sorted(os.environ))"])
    assert exit_code == 0
    names = output.decode()
    assert "GATEWAY_API_KEYS" not in names and "SANDBOX_WALL_TIME_S" not in names
    assert "BACKTEST_MAX_LEVERAGE" in names


def test_api_keys_close_the_api_under_compose(configured):
    with configured.client(timeout=30) as client:
        assert client.get("/ready").status_code == 200
        refused = client.get("/api/backtest/symbols")
        assert refused.status_code == 401 and refused.json()["success"] is False
        assert client.get("/api/backtest/symbols", headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.get("/api/backtest/symbols", headers={"X-API-Key": "k1"}).status_code == 200
        assert client.get("/api/backtest/symbols", headers={"Authorization": "Bearer k1"}).status_code == 200
        rebinding = client.get("/api/backtest/symbols", headers={"X-API-Key": "k1", "Host": "evil.example"})
        assert rebinding.status_code == 400
        named = client.get("/api/backtest/symbols", headers={"X-API-Key": "k1", "Host": "botmoon.test:80"})
        assert named.status_code == 200
