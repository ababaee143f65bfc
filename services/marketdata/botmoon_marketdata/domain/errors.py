"""The service's errors. The servicer maps each branch to one gRPC status code.

    MarketDataError
    ├── InvalidRequest        bad input: unknown symbol, timeframe or exchange, bad range  -> INVALID_ARGUMENT
    ├── NotAvailable          no source has the candles asked for; says what exists        -> NOT_FOUND
    ├── TooLarge              more candles than one response may carry                     -> OUT_OF_RANGE
    ├── InvalidSeries         a series breaks a rule (grid, order, OHLC, volume)           -> INVALID_ARGUMENT
    └── ExchangeError         the exchange failed
        ├── ExchangeUnavailable   network, rate limit, 5xx: temporary, retried             -> UNAVAILABLE
        └── ExchangeRejected      the exchange refused the request (bad symbol, ...)       -> INVALID_ARGUMENT
"""


class MarketDataError(Exception):
    """Base of every error the service raises on purpose."""


class InvalidRequest(MarketDataError):
    pass


class NotAvailable(MarketDataError):
    pass


class TooLarge(MarketDataError):
    pass


class InvalidSeries(MarketDataError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class ExchangeError(MarketDataError):
    pass


class ExchangeUnavailable(ExchangeError):
    pass


class ExchangeRejected(ExchangeError):
    pass
