"""What is kept of executions: pruning by count and age, and the caps of what one stores."""

import datetime as dt

from botmoon_gateway.db import Database, Execution, now
from botmoon_gateway.retention import capped_result, capped_text, prune_executions


def add(db: Database, name: str, age: dt.timedelta) -> None:
    db.add(Execution(id=f"exec_{name}", name=name, code_hash="0" * 64, status="completed", created_at=now() - age))


def kept(db: Database) -> list[str]:
    return [row.name for row in db.newest(Execution, 100)]


def test_the_newest_are_kept_and_the_old_go(db):
    for minutes in range(6):
        add(db, f"m{minutes}", dt.timedelta(minutes=minutes))
    add(db, "ancient", dt.timedelta(days=40))
    assert prune_executions(db, keep=10, max_age=dt.timedelta(days=30)) == 1
    assert kept(db) == ["m0", "m1", "m2", "m3", "m4", "m5"]
    assert prune_executions(db, keep=4, max_age=dt.timedelta(days=30)) == 2
    assert kept(db) == ["m0", "m1", "m2", "m3"]
    assert prune_executions(db, keep=4, max_age=dt.timedelta(minutes=2, seconds=30)) == 1
    assert kept(db) == ["m0", "m1", "m2"]
    assert prune_executions(db, keep=4, max_age=dt.timedelta(days=30)) == 0


def test_text_is_cut_on_a_character_boundary():
    assert capped_text("abc", 3) == ("abc", False)
    assert capped_text("ab\u00e9", 3) == ("ab", True)  # é is two bytes: not half of it
    assert capped_text("\u20ac" * 10, 7) == ("\u20ac" * 2, True)


def test_a_result_over_the_cap_is_not_kept():
    assert capped_result("", 10) == (None, False)
    assert capped_result('{"a": 1}', 10) == ({"a": 1}, False)
    assert capped_result('"' + "x" * 20 + '"', 10) == (None, True)
