"""What is kept of executions: the newest `keep`, none older than `max_age`, each stream and result capped."""

import asyncio
import datetime as dt
import json
import logging

from sqlalchemy import delete, select

from botmoon_gateway.db import Database, Execution, now

log = logging.getLogger(__name__)


def prune_executions(db: Database, keep: int, max_age: dt.timedelta) -> int:
    """Deletes stored executions older than `max_age` and all but the newest `keep`; returns how many."""
    with db.session() as s, s.begin():
        removed = s.execute(delete(Execution).where(Execution.created_at < now() - max_age)).rowcount or 0
        newest_kept = s.scalar(select(Execution.created_at).order_by(Execution.created_at.desc(), Execution.id.desc())
                               .offset(keep - 1).limit(1))
        if newest_kept is not None:
            beyond = select(Execution.id).order_by(Execution.created_at.desc(), Execution.id.desc()).offset(keep)
            removed += s.execute(delete(Execution).where(Execution.id.in_(beyond.scalar_subquery()))).rowcount or 0
    return removed


class ExecutionPruner:
    """Prunes stored executions at start-up and then every `interval_s`, in the background."""

    def __init__(self, db: Database, keep: int, max_age_days: float, interval_s: float):
        self.db, self.keep, self.interval_s = db, keep, interval_s
        self.max_age = dt.timedelta(days=max_age_days)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="execution-pruner")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                removed = await asyncio.to_thread(prune_executions, self.db, self.keep, self.max_age)
                if removed:
                    log.info("stored executions pruned", extra={"removed": removed, "keep": self.keep,
                                                               "max_age_days": self.max_age.days})
            except Exception:
                log.exception("pruning stored executions failed; next try in the next interval")
            await asyncio.sleep(self.interval_s)


def capped_text(text: str, max_bytes: int) -> tuple[str, bool]:
    """`text` cut to at most `max_bytes` of UTF-8 (on a character boundary), and whether it was cut."""
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= max_bytes:
        return text, False
    return encoded[:max_bytes].decode("utf-8", "ignore"), True


def capped_result(result_json: str, max_bytes: int) -> tuple[object | None, bool]:
    """The result to store: parsed when its JSON is within `max_bytes`, else None and cut."""
    if not result_json:
        return None, False
    if len(result_json.encode("utf-8", "replace")) > max_bytes:
        return None, True
    return json.loads(result_json), False
