"""The sweeps' rows: creating a sweep, leases on it (one gateway runs a sweep at a time), storing each run once,
and what the API reads back.

A lease is taken and renewed with one conditional UPDATE each (status and owner in its WHERE clause), so two
gateways sharing a PostgreSQL database never both hold a sweep; a gateway that died holds it no longer once
`lease_until` has passed. Runs are inserted with ON CONFLICT DO NOTHING on (sweep_id, item_index): a run two
attempts both finished is stored, and counted, once.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from botmoon_gateway.db import Database, Sweep, SweepItem, now

UNFINISHED = ("queued", "running")


@dataclass(frozen=True)
class Counts:
    done: int
    failed: int


def create(db: Database, sweep: Sweep) -> None:
    db.add(sweep)


def get(db: Database, sweep_id: str) -> Sweep | None:
    return db.get(Sweep, sweep_id)


def recent(db: Database, limit: int) -> list[Sweep]:
    return db.newest(Sweep, limit)


def unfinished_of(db: Database, client: str) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Sweep)
                        .where(Sweep.client == client, Sweep.status.in_(UNFINISHED))) or 0


# --- leases ---------------------------------------------------------------------------------------------------


def claimable(db: Database, owner: str, limit: int) -> list[str]:
    """Unfinished sweeps nobody holds (or whose holder's lease ran out), oldest first."""
    moment = now()
    with db.session() as s:
        return list(s.scalars(select(Sweep.id)
                              .where(Sweep.status.in_(UNFINISHED),
                                     or_(Sweep.lease_owner.is_(None), Sweep.lease_until < moment,
                                         Sweep.lease_owner == owner))
                              .order_by(Sweep.created_at).limit(limit)))


def claim(db: Database, sweep_id: str, owner: str, lease_s: float) -> bool:
    """Takes the sweep for `owner` (atomic); True when it is now this owner's to run."""
    moment = now()
    with db.session() as s, s.begin():
        taken = s.execute(update(Sweep)
                          .where(Sweep.id == sweep_id, Sweep.status.in_(UNFINISHED),
                                 or_(Sweep.lease_owner.is_(None), Sweep.lease_until < moment,
                                     Sweep.lease_owner == owner))
                          .values(status="running", lease_owner=owner,
                                  lease_until=moment + dt.timedelta(seconds=lease_s),
                                  started_at=func.coalesce(Sweep.started_at, moment)))
        return taken.rowcount == 1


def renew(db: Database, sweep_ids: list[str], owner: str, lease_s: float) -> set[str]:
    """Extends the leases `owner` still holds on running sweeps; returns those (a sweep missing from the answer was
    cancelled, finished or taken over: its work stops here)."""
    if not sweep_ids:
        return set()
    with db.session() as s, s.begin():
        return set(s.scalars(update(Sweep)
                             .where(Sweep.id.in_(sweep_ids), Sweep.status == "running", Sweep.lease_owner == owner)
                             .values(lease_until=now() + dt.timedelta(seconds=lease_s))
                             .returning(Sweep.id)))


def release(db: Database, owner: str) -> None:
    """Hands back every sweep `owner` holds (a gateway shutting down): another gateway takes them at once."""
    with db.session() as s, s.begin():
        s.execute(update(Sweep).where(Sweep.lease_owner == owner).values(lease_owner=None, lease_until=None))


def finish(db: Database, sweep_id: str, owner: str, status: str, error: str | None = None) -> bool:
    """Marks the sweep finished while `owner` runs it; False when it no longer does (cancelled meanwhile)."""
    with db.session() as s, s.begin():
        done = s.execute(update(Sweep)
                         .where(Sweep.id == sweep_id, Sweep.status == "running", Sweep.lease_owner == owner)
                         .values(status=status, error=error, finished_at=now(), lease_owner=None, lease_until=None))
        return done.rowcount == 1


def cancel(db: Database, sweep_id: str) -> bool:
    """Cancels an unfinished sweep; False when it had finished already."""
    with db.session() as s, s.begin():
        done = s.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status.in_(UNFINISHED))
                         .values(status="cancelled", finished_at=now(), lease_owner=None, lease_until=None))
        return done.rowcount == 1


# --- runs -----------------------------------------------------------------------------------------------------


def save_items(db: Database, sweep_id: str, rows: list[dict]) -> int:
    """Stores runs of a running sweep, each once (a (sweep_id, item_index) already there is left as it is);
    returns how many were new. Nothing is stored once the sweep is cancelled: the status is read after the
    insert, under a share lock on PostgreSQL and the write lock on SQLite, so a cancel is either before the
    insert (which is then undone) or after its commit (and the cancel's reply counts it)."""
    if not rows:
        return 0
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    moment = now()
    statement = (dialect.insert(SweepItem).values([{"created_at": moment, "sweep_id": sweep_id, **row}
                                                   for row in rows])
                 .on_conflict_do_nothing(index_elements=["sweep_id", "item_index"]))
    with db.session() as s, s.begin():
        added = s.execute(statement).rowcount or 0
        status = s.scalar(select(Sweep.status).where(Sweep.id == sweep_id).with_for_update(read=True))
        if status != "running":
            s.rollback()
            return 0
        return added


def stored_indexes(db: Database, sweep_id: str) -> set[int]:
    with db.session() as s:
        return set(s.scalars(select(SweepItem.item_index).where(SweepItem.sweep_id == sweep_id)))


def counts(db: Database, sweep_id: str) -> Counts:
    with db.session() as s:
        done, failed = s.execute(select(func.count(), func.coalesce(func.sum(case((SweepItem.success, 0), else_=1)), 0))
                                 .where(SweepItem.sweep_id == sweep_id)).one()
        return Counts(int(done), int(failed))


def summaries(db: Database, sweep_id: str, phase: str | None = None) -> list[Row]:
    """Every stored run without its full document: what ranking and walk-forward read."""
    query = (select(SweepItem.item_index, SweepItem.phase, SweepItem.window, SweepItem.params, SweepItem.success,
                    SweepItem.objective_value, SweepItem.metrics, SweepItem.error, SweepItem.node)
             .where(SweepItem.sweep_id == sweep_id).order_by(SweepItem.item_index))
    if phase is not None:
        query = query.where(SweepItem.phase == phase)
    with db.session() as s:
        return list(s.execute(query))


def item(db: Database, sweep_id: str, index: int) -> SweepItem | None:
    with db.session() as s:
        return s.scalar(select(SweepItem).where(SweepItem.sweep_id == sweep_id, SweepItem.item_index == index))


def documents(db: Database, sweep_id: str, indexes: list[int]) -> dict[int, dict]:
    """The full documents of some runs (walk-forward's out-of-sample curves)."""
    with db.session() as s:
        return {index: result for index, result in s.execute(
            select(SweepItem.item_index, SweepItem.result)
            .where(SweepItem.sweep_id == sweep_id, SweepItem.item_index.in_(indexes)))}
