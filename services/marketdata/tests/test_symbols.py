"""Every spelling of a symbol maps to one instrument, and back."""

import pytest

from botmoon_marketdata.domain.errors import InvalidRequest
from botmoon_marketdata.domain.symbols import Instrument, MarketType, normalize

FUT = Instrument("binance", MarketType.FUTURE, "BTC", "USDT")
SPOT = Instrument("binance", MarketType.SPOT, "BTC", "USDT")
OKX_FUT = Instrument("okx", MarketType.FUTURE, "BTC", "USDT")
OKX_SPOT = Instrument("okx", MarketType.SPOT, "BTC", "USDT")


@pytest.mark.parametrize(("spelling", "exchange", "market", "expected"), [
    ("BTC/USDT:USDT", None, None, FUT),
    ("btc/usdt:usdt", "binance", None, FUT),
    ("BTC/USDT", None, None, SPOT),
    ("BTC/USDT", None, "CRYPTO_SPOT", SPOT),
    ("BTC/USDT:USDT", None, "CRYPTO_FUTURE", FUT),
    ("BTCUSDT", None, None, FUT),
    ("BTCUSDT", None, "CRYPTO_SPOT", SPOT),
    ("BTCUSDT", "okx", "CRYPTO_FUTURES", OKX_FUT),
    (" BTCUSDT_BINANCE ", None, None, FUT),
    ("BTCUSDT_OKX", None, "spot", OKX_SPOT),
    ("BTC-USDT-SWAP", None, None, OKX_FUT),
    ("BTC-USDT", None, None, OKX_SPOT),
    ("BTC_USDT", None, "CRYPTO_SPOT", SPOT),
    ("ETHFDUSD", None, "CRYPTO_SPOT", Instrument("binance", MarketType.SPOT, "ETH", "FDUSD")),
    ("1000PEPEUSDT", None, None, Instrument("binance", MarketType.FUTURE, "1000PEPE", "USDT")),
])
def test_every_spelling_normalises(spelling, exchange, market, expected):
    assert normalize(spelling, exchange, market) == expected


@pytest.mark.parametrize("instrument", [FUT, SPOT, OKX_FUT, OKX_SPOT])
def test_round_trip_through_each_spelling(instrument):
    for spelling in (instrument.symbol, instrument.exchange_id, instrument.compact):
        assert normalize(spelling, instrument.exchange, instrument.market_type) == instrument
    # The ccxt spelling alone carries the market type; the compact one carries the exchange.
    assert normalize(instrument.symbol, instrument.exchange) == instrument
    assert normalize(instrument.compact, None, instrument.market_type) == instrument


def test_spellings_of_each_id():
    assert FUT.symbol == "BTC/USDT:USDT" and SPOT.symbol == "BTC/USDT"
    assert FUT.exchange_id == "BTCUSDT" and OKX_SPOT.exchange_id == "BTC-USDT"
    assert OKX_FUT.exchange_id == "BTC-USDT-SWAP"
    assert FUT.compact == "BTCUSDT_BINANCE" and FUT.name == "Bitcoin"


@pytest.mark.parametrize(("spelling", "exchange", "market", "message"), [
    ("", None, None, "empty"),
    ("BTC-USDT-SWAP", "binance", None, "names okx"),
    ("BTCUSDT_OKX", "binance", None, "names okx"),
    ("BTCXYZ", None, None, "no known quote currency"),
    ("BTC/USDT:BTC", None, None, "USDT-settled"),
    ("BTC USDT", None, None, "cannot read symbol"),
    ("BTCUSDT", "kraken", None, "unknown exchange 'kraken'"),
    ("BTCUSDT", None, "OPTION", "unknown market type"),
    ("BTC/USDT", None, "CRYPTO_FUTURE", r"CRYPTO_FUTURE conflicts with symbol 'BTC/USDT', which is CRYPTO_SPOT.*"
                                        r"'BTC/USDT:USDT'"),
    ("BTC/USDT:USDT", None, "spot", "CRYPTO_SPOT conflicts with symbol 'BTC/USDT:USDT', which is CRYPTO_FUTURE"),
    ("BTC-USDT-SWAP", None, "CRYPTO_SPOT", "'BTC-USDT-SWAP', which is CRYPTO_FUTURE.*'BTC/USDT'"),
])
def test_bad_spellings_say_why(spelling, exchange, market, message):
    with pytest.raises(InvalidRequest, match=message):
        normalize(spelling, exchange, market)
