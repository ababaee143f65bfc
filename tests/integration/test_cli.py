"""The `botmoon` CLI as a user runs it: real subprocesses against the real stack, `--json` parsed, exit codes
checked (0 ok, 1 refused by the server, 3 invalid code, 4 failed run, 5 unreachable)."""

import os
import subprocess
import uuid

import httpx
import pytest

from botmoon_marketdata.testing import FakeExchange
from botmoon_testing.clients import BOTMOON, as_json, botmoon

pytestmark = [pytest.mark.docker, pytest.mark.stack]

FAILING = """
class Broken:
    def __init__(self, params=None):
        self.params = params

    def generate_signals(self, data):
        return {"signals": [{"time": data.index[0], "type": "long", "price": data["no such column"].iloc[0]}]}
"""
@pytest.fixture(scope="module")
def template(gateway) -> str:
    return httpx.get(f"{gateway.url}/api/backtest/example").json()["code"]


def test_validate_exec_and_exit_codes(gateway, tmp_path):
    good = tmp_path / "good.py"
    good.write_text("import numpy as np\nresult = float(np.mean([1, 2, 3]))\n")
    done = botmoon(gateway.url, "validate", str(good), "--json")
    assert done.returncode == 0 and as_json(done)["validation"]["valid"] is True

    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\nimport os\n")
    done = botmoon(gateway.url, "validate", str(bad), "--json")
    assert done.returncode == 3
    errors = as_json(done)["validation"]["errors"]
    assert errors[0]["line"] == 2 and errors[0]["rule"] == "blocked-import"
    done = botmoon(gateway.url, "validate", str(bad))
    assert done.returncode == 3 and "blocked-import" in done.stdout and "invalid" in done.stdout

    done = botmoon(gateway.url, "exec", "-", "--json", stdin="print('hello')\nresult = 6 * 7\n")
    assert done.returncode == 0, done.stderr
    reply = as_json(done)
    assert reply["status"] == "completed" and reply["result"] == 42 and reply["output"] == "hello\n"
    done = botmoon(gateway.url, "exec", "-", stdin="a = 1\nb = a / 0\n")
    assert done.returncode == 4 and "ZeroDivisionError at line 2" in done.stderr
    done = botmoon(gateway.url, "exec", "-", "--json", stdin="import socket\n")
    assert done.returncode == 3 and as_json(done)["status"] == "rejected"

    done = botmoon(gateway.url, "executions", "list", "--json", "--limit", "5")
    assert done.returncode == 0 and 1 <= as_json(done)["count"] <= 5
    execution_id = as_json(done)["executions"][0]["execution_id"]
    done = botmoon(gateway.url, "executions", "show", execution_id, "--json")
    assert done.returncode == 0 and as_json(done)["execution_id"] == execution_id

    done = botmoon(gateway.url, "validate", str(tmp_path / "missing.py"))
    assert done.returncode == 2 and "no such file" in done.stderr
    done = botmoon("http://127.0.0.1:9", "status", "--json")
    assert done.returncode == 5 and "unreachable" in done.stderr


def test_backtest_with_report(gateway, template, tmp_path):
    source = tmp_path / "strategy.py"
    source.write_text(template)
    report = tmp_path / "report.html"
    done = botmoon(gateway.url, "backtest", str(source), "--symbol", "BTC/USDT:USDT", "--timeframe", "1h",
                   "--limit", "300", "--json", "--html", str(report))
    assert done.returncode == 0, done.stderr
    result = as_json(done)
    assert result["success"] and result["config"]["data_points"] == 300
    assert result["metrics"]["total_trades"] == len(result["trades"])
    stored = httpx.get(f"{gateway.url}/api/backtest/{result['backtest_id']}").json()
    assert stored["metrics"] == result["metrics"]
    page = report.read_text()
    assert "<polyline" in page and result["backtest_id"] in page and "<script" not in page and "http" not in page

    done = botmoon(gateway.url, "backtest", str(source), "--symbol", "BTC/USDT:USDT", "--timeframe", "4h",
                   "--start", "2026-01-01T00:00:00Z", "--end", "2026-02-01T00:00:00Z")
    assert done.returncode == 0, done.stderr
    assert "total_trades" in done.stdout and "BTC/USDT:USDT" in done.stdout

    broken = tmp_path / "broken.py"
    broken.write_text("import subprocess\n" + template)
    done = botmoon(gateway.url, "backtest", str(broken), "--limit", "100", "--json")
    assert done.returncode == 3 and as_json(done)["success"] is False
    failing = tmp_path / "failing.py"
    failing.write_text(FAILING)
    done = botmoon(gateway.url, "backtest", str(failing), "--limit", "100", "--json")
    assert done.returncode == 4 and as_json(done)["error"]["line"] == 7, done.stdout

    done = botmoon(gateway.url, "backtest", str(source), "--limit", "5", "--json")
    assert done.returncode == 1 and "limit" in done.stderr


def test_deploy_start_status_stop(gateway, template, tmp_path):
    source = tmp_path / "strategy.py"
    source.write_text(template)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    done = botmoon(gateway.url, "deploy", str(source), "--name", name, "--json")
    assert done.returncode == 0, done.stderr
    strategy_id = as_json(done)["strategy"]["id"]

    done = botmoon(gateway.url, "strategies", "start", strategy_id, "--symbol", "BTC/USDT:USDT", "--timeframe", "1h",
                   "--interval", "60", "--json")
    assert done.returncode == 0, done.stderr
    assert as_json(done)["strategy"]["status"] == "running"
    done = botmoon(gateway.url, "strategies", "start", strategy_id)
    assert done.returncode == 1 and "409" in done.stderr and "already running" in done.stderr

    done = botmoon(gateway.url, "status", "--json")
    assert done.returncode == 0 and strategy_id in [s["id"] for s in as_json(done)["strategies"]]
    done = botmoon(gateway.url, "status")
    assert done.returncode == 0 and strategy_id in done.stdout
    done = botmoon(gateway.url, "strategies", "list", "--status", "running", "--json")
    assert strategy_id in [s["id"] for s in as_json(done)["strategies"]]
    done = botmoon(gateway.url, "strategies", "config", strategy_id, "--params", '{"tp_pct": 3.0}', "--json")
    assert done.returncode == 0 and as_json(done)["strategy"]["params"]["tp_pct"] == 3.0

    done = botmoon(gateway.url, "strategies", "stop", strategy_id, "--json")
    assert done.returncode == 0 and as_json(done)["strategy"]["status"] == "stopped"
    running = httpx.get(f"{gateway.url}/api/console/running").json()
    assert strategy_id not in [s["id"] for s in running["strategies"]]
    done = botmoon(gateway.url, "strategies", "show", "strat_missing")
    assert done.returncode == 1 and "404" in done.stderr

    done = botmoon(gateway.url, "deploy", "-", "--json", stdin="import os\n")
    assert done.returncode == 3 and as_json(done)["status"] == "rejected"


def test_markets_and_webhooks(gateway):
    done = botmoon(gateway.url, "markets", "--json")
    assert done.returncode == 0 and "BTC/USDT:USDT" in [s["symbol"] for s in as_json(done)["symbols"]]
    done = botmoon(gateway.url, "webhooks", "list", "--json")
    assert done.returncode == 0 and as_json(done)["success"] is True
    done = botmoon(gateway.url, "webhooks", "deliveries", "--json")
    assert done.returncode == 0 and "deliveries" in as_json(done)
    done = botmoon(gateway.url, "webhooks", "send", "--url", "http://127.0.0.1:9/hook", "--price", "50000")
    assert done.returncode == 1 and "webhook_url" in done.stderr  # loopback is refused by the SSRF guard
    done = botmoon(gateway.url, "webhooks", "send", "--url", "https://example.com/hook")
    assert done.returncode == 1 and "price" in done.stderr


def test_candles_import_and_list(tmp_path):
    csv = tmp_path / "mine.csv"
    rows = ["time,open,high,low,close,volume"] + [
        f"{1_735_689_600_000 + i * 900_000},{100 + i},{101 + i},{99 + i},{100.5 + i},{10 + i}" for i in range(96)]
    csv.write_text("\n".join(rows) + "\n")
    store = tmp_path / "store.sqlite"
    done = subprocess.run([BOTMOON, "candles", "import", str(csv), "--symbol", "SOL/USDT", "--timeframe", "15m",
                           "--store", str(store)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "96 candles of SOL/USDT CRYPTO_SPOT 15m on binance" in done.stdout
    done = subprocess.run([BOTMOON, "candles", "list", "--store", str(store)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "SOL/USDT" in done.stdout and "96" in done.stdout
    done = subprocess.run([BOTMOON, "candles", "import", str(tmp_path / "nope.csv"), "--symbol", "SOL/USDT",
                           "--timeframe", "15m", "--store", str(store)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 4 and "error" in done.stderr


def test_candles_download_with_progress(tmp_path):
    fake = FakeExchange.from_bundled(bases=("BTC",), tfs=("1h",)).start()
    try:
        env = {**os.environ, "MARKETDATA_BINANCE_URL": fake.url, "MARKETDATA_RETRY_BASE_DELAY_S": "0.01",
               "COLUMNS": "200"}
        fake.fail_next(429)
        done = subprocess.run([BOTMOON, "candles", "download", "--symbol", "BTCUSDT", "--type", "CRYPTO_SPOT",
                               "--timeframe", "1h", "--start", "2025-01-01", "--end", "2025-01-10",
                               "--store", str(tmp_path / "s.sqlite")], capture_output=True, text=True, env=env,
                              timeout=120)
    finally:
        fake.stop()
    assert done.returncode == 0, done.stderr
    assert "216 candles of BTC/USDT CRYPTO_SPOT 1h from binance stored" in done.stdout
    assert "216/216" in done.stderr and "100%" in done.stderr  # the rich bar's last state
    assert [r.status for r in fake.kline_requests()] == [429, 200]
