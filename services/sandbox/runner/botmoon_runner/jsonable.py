"""Turns whatever submitted code left in `result` into JSON values (numpy and pandas included)."""

import datetime as dt
import decimal
import json
import math
import sys


def to_jsonable(value, depth: int = 0):
    if depth > 50:
        return repr(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, depth + 1) for v in value]
    converted = _numeric(value, depth)
    if converted is not _UNCONVERTED:
        return converted
    return repr(value)


_UNCONVERTED = object()


def _numeric(value, depth: int):
    # A value of theirs exists only where they were imported; looking them up imports nothing (no pandas
    # started for a numpy value, no search of the path in the stdlib flavour).
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    if np is None:
        return _UNCONVERTED
    if pd is None:
        return _numpy_only(np, value, depth)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        orient = "records" if isinstance(value, pd.DataFrame) else "index"
        return json.loads(value.to_json(orient=orient, date_format="iso"))
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), depth + 1)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), depth + 1)
    if isinstance(value, pd.Index):
        return to_jsonable(value.tolist(), depth + 1)
    return _UNCONVERTED


def _numpy_only(np, value, depth: int):
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), depth + 1)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), depth + 1)
    return _UNCONVERTED
