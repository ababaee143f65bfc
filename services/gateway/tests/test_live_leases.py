"""Leases on running strategies: one replica at a time; a dead replica's lease expires."""

import asyncio
import time

from sqlalchemy import select

from botmoon_gateway.db import Algorithm
from botmoon_gateway.live.runner import LiveRunner
from botmoon_gateway.records import Strategy
from botmoon_gateway.settings import GatewaySettings
from botmoon_gateway.webhooks import Deliverer, DeliveryPolicy, UrlGuard

CODE = "class S:\n    def __init__(self, params):\n        self.k = params.get('k', 5)\n\n" \
       "    def generate_signals(self, data):\n        return []\n"


def replica(db, lease_s=30.0) -> LiveRunner:
    return LiveRunner(db, backends=None, deliverer=None, settings=GatewaySettings(live_lease_s=lease_s))


def test_deployed_strategies_register_once_stopped(db):
    db.add(Algorithm(id="algo_1", name="S", code=CODE, code_hash="x"),
           Algorithm(id="algo_2", name="plain", code="result = 1", code_hash="y"))
    one, two = replica(db), replica(db)
    assert one.sync() == 1
    assert one.sync() == 0 and two.sync() == 0
    [row] = db.newest(Strategy, 10)
    assert (row.algorithm_id, row.status, row.params, row.class_name) == ("algo_1", "stopped", {"k": 5}, "S")


def test_one_replica_holds_a_running_strategy(db):
    db.add(Algorithm(id="algo_1", name="S", code=CODE, code_hash="x"))
    one, two = replica(db, lease_s=1.0), replica(db, lease_s=1.0)
    one.sync()
    [row] = db.newest(Strategy, 10)
    assert one._claim() == []  # stopped strategies are not leased
    with db.session() as s, s.begin():
        s.get(Strategy, row.id).status = "running"
    assert one._claim() == [row.id]
    assert two._claim() == []
    assert one._renew(row.id) is not None and two._renew(row.id) is None
    time.sleep(1.1)  # `one` died without releasing: its lease runs out
    assert two._claim() == [row.id]
    assert one._renew(row.id) is None
    two._release(row.id)
    assert one._claim() == [row.id]


def test_running_strategies_are_spread_over_the_replicas(db):
    db.add(*(Algorithm(id=f"algo_{n}", name=f"S{n}", code=CODE, code_hash=str(n)) for n in range(3)))
    one, two = replica(db, lease_s=1.0), replica(db, lease_s=1.0)
    one.sync()
    with db.session() as s, s.begin():
        for row in s.scalars(select(Strategy)):
            row.status = "running"
    everything = sorted(r.id for r in db.newest(Strategy, 10))
    assert one._claim() == everything  # alone, it takes them all
    assert two._claim() == [] and one._shed == set()  # `two` is alive now: a share is 2 of 3
    assert one._claim() == everything and one._shed == {everything[2]}  # `one` hands the third back
    one._release(everything[2])
    assert two._claim() == [everything[2]]
    assert one._claim() == everything[:2] and one._shed == set()
    time.sleep(1.1)  # `one` dies: its heartbeat and its leases run out
    assert sorted(two._claim()) == everything


def test_a_hanging_strategy_never_delays_another(db):
    db.add(Algorithm(id="algo_1", name="slow", code=CODE, code_hash="x"),
           Algorithm(id="algo_2", name="quick", code=CODE, code_hash="y"))
    runner = LiveRunner(db, backends=None, deliverer=None, settings=GatewaySettings(live_lease_s=5))
    runner.sync()
    with db.session() as s, s.begin():
        for row in s.query(Strategy):
            row.status, row.interval_seconds = "running", 0.01
    slow_id = next(r.id for r in db.newest(Strategy, 10) if r.name == "slow")
    rounds: dict[str, int] = {}

    async def evaluate(strategy):
        rounds[strategy.name] = rounds.get(strategy.name, 0) + 1
        if strategy.id == slow_id:
            await asyncio.sleep(3600)
        return 0

    async def main():
        runner.evaluate = evaluate
        runner.deliverer = Deliverer(db, UrlGuard(), DeliveryPolicy())
        await runner.tick()
        deadline = asyncio.get_running_loop().time() + 5
        while rounds.get("quick", 0) < 20 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        tasks = list(runner.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.deliverer.close()
    asyncio.run(main())
    assert rounds == {"slow": 1, "quick": rounds["quick"]} and rounds["quick"] >= 20
