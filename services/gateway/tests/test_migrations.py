"""The schema by Alembic revisions: models and revisions agree, the first release's database upgrades keeping
every row (read back through the API), and a gateway told not to upgrade refuses to start, saying why."""

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from botmoon_gateway import migrate, records
from botmoon_gateway.app import create_app
from botmoon_gateway.db import Algorithm, Backtest, Base, Database, Execution
from botmoon_gateway.settings import GatewaySettings

RELEASE_DB = Path(__file__).parent / "fixtures" / "release-991eb60.db"
ROWS = {Algorithm: 2, Execution: 4, Backtest: 1, records.Strategy: 1, records.LiveSignal: 1,
        records.WebhookEndpoint: 2, records.WebhookDelivery: 2, records.WebhookAttempt: 3}


@pytest.fixture
def release_db(tmp_path) -> str:
    path = tmp_path / "botmoon.db"
    shutil.copy(RELEASE_DB, path)
    return f"sqlite:///{path}"


def test_the_models_and_the_revisions_agree(db):
    """A change to the models needs a revision: `python -m botmoon_gateway.migrate revision "what changed"`."""
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == [], f"the models differ from the newest revision: {differences}"


def test_the_first_releases_database_upgrades_keeping_every_row(release_db):
    db = Database(release_db)
    assert db.prepare() == migrate.head()
    with db.session() as s:
        assert {model: s.scalar(select(func.count()).select_from(model)) for model in ROWS} == ROWS
    db.dispose()
    settings = GatewaySettings(database_url=release_db, live_tick_s=3600, executions_max_age_days=36500)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        executions = client.get("/api/ai/executions", params={"limit": 10}).json()["executions"]
        assert {(e["execution_id"], e["status"]) for e in executions} == {
            ("exec_release1", "completed"), ("exec_release2", "failed"), ("exec_release3", "rejected"),
            ("exec_release4", "killed")}
        hello = client.get("/api/ai/executions/exec_release1").json()
        assert (hello["output"], hello["result"], hello["algorithm_id"]) == ("Hello from AI!\n", 42, "algo_release2")
        assert client.get("/api/ai/executions/exec_release2").json()["error"]["type"] == "ZeroDivisionError"
        assert client.get("/api/ai/executions/exec_release3").json()["problems"][0]["rule"] == "import"
        assert client.get("/api/ai/executions/exec_release4").json()["truncated"] is True
        assert client.get("/api/backtest/bt_release1").json()["metrics"]["total_trades"] == 3
        strategy = client.get("/api/strategies/strat_release1").json()["strategy"]
        assert (strategy["algorithm_id"], strategy["class_name"], strategy["params"]) == ("algo_release1", "Cross",
                                                                                          {"fast": 5})
        assert strategy["config"]["webhook_endpoint_ids"] == [1, 2]
        [signal] = client.get("/api/strategies/strat_release1/signals").json()["signals"]
        assert signal["signal_id"] == "sig_release1" and signal["payload"]["price"] == 91000.5
        endpoints = client.get("/api/webhooks/endpoints").json()["endpoints"]
        assert {(e["id"], e["name"], e["enabled"], e["has_secret"]) for e in endpoints} == {
            (1, "desk", True, True), (2, "backup", False, False)}
        deliveries = client.get("/api/webhooks/deliveries").json()["deliveries"]
        assert {(d["delivery_id"], d["status"]) for d in deliveries} == {("dlv_release1", "delivered"),
                                                                         ("dlv_release2", "failed")}
        delivered = client.get("/api/webhooks/deliveries/dlv_release1").json()["delivery"]
        assert [a["response_code"] for a in delivered["attempt_log"]] == [503, 200]
        new = client.post("/api/webhooks/endpoints", json={"url": "https://8.8.8.8/hook"}).json()
        assert new["endpoint"]["id"] == 3  # the integer keys continue after the release's rows


def test_a_gateway_told_not_to_upgrade_refuses_to_start_and_says_why(release_db):
    db = Database(release_db)
    with pytest.raises(migrate.SchemaOutOfDate, match="GATEWAY_DATABASE_MIGRATE"):
        db.prepare(upgrade=False)
    db.dispose()
    started = subprocess.run([sys.executable, "-m", "botmoon_gateway"], capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin", "GATEWAY_DATABASE_URL": release_db,
                                  "GATEWAY_DATABASE_MIGRATE": "false", "GATEWAY_PORT": "1"})
    assert started.returncode == 2
    assert "refusing to start" in started.stderr + started.stdout
    assert "GATEWAY_DATABASE_MIGRATE=true" in started.stderr + started.stdout
    Database(release_db).prepare(upgrade=True)
    assert Database(release_db).prepare(upgrade=False) == migrate.head()


def test_a_database_upgraded_by_a_newer_gateway_is_refused(db):
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(migrate.SchemaOutOfDate, match="9999, which this gateway does not know"):
        db.prepare()


def test_gateways_starting_together_on_postgresql_upgrade_once(postgres_server):
    url = postgres_server.database("together")
    gateways = [Database(url) for _ in range(4)]
    results, failures = [], []

    def start(db):
        try:
            results.append(db.prepare())
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(db,)) for db in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and results == [migrate.head()] * 4
    for db in gateways:
        db.dispose()
