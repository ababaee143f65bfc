"""Epoch-millisecond timestamps as ISO-8601 UTC strings, for warnings and reports."""

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso(ms: int) -> str:
    """`1704067200000` -> `'2024-01-01T00:00:00Z'` (milliseconds shown only when present)."""
    ms = int(ms)
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    text = moment.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")
