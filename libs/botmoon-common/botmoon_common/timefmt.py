"""The API's one time format: ISO 8601 in UTC with `Z`, to the second, milliseconds only when present."""

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def iso(value: dt.datetime | int | float) -> str:
    """`1704067200000` or `datetime(2024, 1, 1)` -> `'2024-01-01T00:00:00Z'`; epoch milliseconds or a datetime
    (naive = UTC). Sub-second values keep their milliseconds: `'2024-01-01T00:00:00.250Z'`."""
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    else:
        try:
            moment = _EPOCH + dt.timedelta(milliseconds=int(value))
        except OverflowError:
            return f"{int(value)} ms"
    text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")
