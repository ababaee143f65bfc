"""No candles for a request: the same 404, with market data's reason, on every endpoint that needs candles."""

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from fastapi import HTTPException


@contextmanager
def no_data_is_404() -> Iterator[None]:
    """A NOT_FOUND from market data (or a service that asked it) becomes 404 whose error says which symbol,
    timeframe and range had no candles and what the store does have."""
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            raise HTTPException(404, exc.details()) from exc
        raise
