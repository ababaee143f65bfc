"""The outside world: exchanges through ccxt, the SQLite store, candle files."""
