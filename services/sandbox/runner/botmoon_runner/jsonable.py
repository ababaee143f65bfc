"""Turns whatever submitted code left in `result` into JSON values (numpy and pandas included)."""

import datetime as dt
import decimal
import json
import math


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
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover - the image always has both
        return _UNCONVERTED
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
