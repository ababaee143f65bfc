"""Every symbol spelling the API takes, normalised in this one place.

Accepted: ``BTC/USDT:USDT`` (ccxt perpetual), ``BTC/USDT`` (ccxt spot), ``BTCUSDT`` (exchange id),
``BTCUSDT_BINANCE`` (id with exchange), ``BTC-USDT-SWAP`` / ``BTC-USDT`` (OKX ids), ``BTC_USDT``
(freqtrade file names). Case and surrounding spaces do not matter.
"""

import re
from dataclasses import dataclass
from enum import Enum

from botmoon_marketdata.domain.errors import InvalidRequest


class MarketType(Enum):
    SPOT = "CRYPTO_SPOT"
    FUTURE = "CRYPTO_FUTURE"


EXCHANGES = ("binance", "okx")
# Quote currencies, longest first so that FDUSD wins over USD-anything when splitting "BTCFDUSD".
QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "EUR", "TRY", "BRL", "BTC", "ETH", "BNB")
NAMES = {
    "BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana", "BNB": "BNB", "XRP": "XRP", "ADA": "Cardano",
    "DOGE": "Dogecoin", "AVAX": "Avalanche", "DOT": "Polkadot", "LINK": "Chainlink", "LTC": "Litecoin",
    "TRX": "TRON", "MATIC": "Polygon", "POL": "Polygon", "TON": "Toncoin", "SUI": "Sui", "NEAR": "NEAR Protocol",
}
_MARKET_ALIASES = {
    "CRYPTO_SPOT": MarketType.SPOT, "SPOT": MarketType.SPOT,
    "CRYPTO_FUTURE": MarketType.FUTURE, "CRYPTO_FUTURES": MarketType.FUTURE, "FUTURE": MarketType.FUTURE,
    "FUTURES": MarketType.FUTURE, "SWAP": MarketType.FUTURE, "PERP": MarketType.FUTURE, "LINEAR": MarketType.FUTURE,
}
_ASSET = r"[A-Z0-9]{1,20}"


class ConflictingMarket(InvalidRequest):
    """The market type asked for is not the one the symbol's spelling names."""


@dataclass(frozen=True, order=True)
class Instrument:
    """One tradable series key: exchange, market type, base and quote (perpetuals settle in the quote)."""

    exchange: str
    market_type: MarketType
    base: str
    quote: str

    @property
    def symbol(self) -> str:
        """ccxt's unified symbol, the canonical spelling."""
        pair = f"{self.base}/{self.quote}"
        return f"{pair}:{self.quote}" if self.market_type is MarketType.FUTURE else pair

    @property
    def exchange_id(self) -> str:
        """The exchange's own id: BTCUSDT on Binance, BTC-USDT(-SWAP) on OKX."""
        if self.exchange == "okx":
            return f"{self.base}-{self.quote}" + ("-SWAP" if self.market_type is MarketType.FUTURE else "")
        return f"{self.base}{self.quote}"

    @property
    def compact(self) -> str:
        """The strategy spelling, BTCUSDT_BINANCE."""
        return f"{self.base}{self.quote}_{self.exchange.upper()}"

    @property
    def name(self) -> str:
        return NAMES.get(self.base, self.base)


def market_type(value: str | MarketType | None) -> MarketType | None:
    """CRYPTO_SPOT / CRYPTO_FUTURE (and CRYPTO_FUTURES, spot, swap, ...) or None when empty."""
    if value is None or isinstance(value, MarketType):
        return value
    key = value.strip().upper()
    if not key or key in ("MARKET_TYPE_UNSPECIFIED", "UNSPECIFIED"):
        return None
    key = key.removeprefix("MARKET_TYPE_")
    if key not in _MARKET_ALIASES:
        raise InvalidRequest(f"unknown market type '{value}'; use CRYPTO_SPOT or CRYPTO_FUTURE")
    return _MARKET_ALIASES[key]


def exchange_name(value: str | None) -> str | None:
    key = (value or "").strip().lower()
    if not key:
        return None
    if key not in EXCHANGES:
        raise InvalidRequest(f"unknown exchange '{value}'; supported: {', '.join(EXCHANGES)}")
    return key


def _split_concatenated(text: str, original: str) -> tuple[str, str]:
    for quote in QUOTES:
        if text.endswith(quote) and len(text) > len(quote):
            return text[: -len(quote)], quote
    raise InvalidRequest(f"cannot read symbol '{original}': no known quote currency ({', '.join(QUOTES)}) at its end")


def normalize(
    symbol: str,
    exchange: str | None = None,
    market: str | MarketType | None = None,
    default_exchange: str = "binance",
    default_market: MarketType = MarketType.FUTURE,
) -> Instrument:
    """The Instrument any accepted spelling names. The spelling decides the market (`BTC/USDT` spot,
    `BTC/USDT:USDT` perpetual); `market` decides it for spellings that do not say (`BTCUSDT`), else
    `default_market`. A `market` or `exchange` that contradicts the spelling is refused, naming both."""
    original = symbol
    text = (symbol or "").strip().upper()
    if not text:
        raise InvalidRequest("symbol is empty")
    wanted_exchange = exchange_name(exchange)
    wanted_market = market_type(market)
    spelled_exchange: str | None = None
    spelled_market: MarketType | None = None

    if m := re.fullmatch(rf"({_ASSET})/({_ASSET})(?::({_ASSET}))?", text):
        base, quote, settle = m.groups()
        if settle is not None and settle != quote:
            raise InvalidRequest(f"symbol '{original}': only {quote}-settled perpetuals are supported, not {settle}")
        spelled_market = MarketType.FUTURE if settle else MarketType.SPOT
    elif m := re.fullmatch(rf"({_ASSET})-({_ASSET})(-SWAP)?", text):
        base, quote, swap = m.groups()
        spelled_exchange = "okx"
        spelled_market = MarketType.FUTURE if swap else MarketType.SPOT
    elif m := re.fullmatch(rf"({_ASSET})_({'|'.join(e.upper() for e in EXCHANGES)})", text):
        base, quote = _split_concatenated(m.group(1), original)
        spelled_exchange = m.group(2).lower()
    elif m := re.fullmatch(rf"({_ASSET})_({_ASSET})", text):
        base, quote = m.groups()
    elif re.fullmatch(_ASSET, text):
        base, quote = _split_concatenated(text, original)
    else:
        raise InvalidRequest(
            f"cannot read symbol '{original}'; use one of BTC/USDT:USDT, BTC/USDT, BTCUSDT, BTCUSDT_BINANCE, "
            "BTC-USDT-SWAP"
        )
    if wanted_exchange and spelled_exchange and wanted_exchange != spelled_exchange:
        raise InvalidRequest(f"symbol '{original}' names {spelled_exchange}, but exchange is '{wanted_exchange}'")
    if wanted_market and spelled_market and wanted_market is not spelled_market:
        spelled_as = Instrument(spelled_exchange or default_exchange, wanted_market, base, quote).symbol
        raise ConflictingMarket(
            f"market type {wanted_market.value} conflicts with symbol '{original}', which is "
            f"{spelled_market.value}; leave the market type out, or spell the {wanted_market.value} series "
            f"'{spelled_as}'")
    return Instrument(
        exchange=wanted_exchange or spelled_exchange or default_exchange,
        market_type=wanted_market or spelled_market or default_market,
        base=base,
        quote=quote,
    )
