"""The market data service: candles from exchanges (ccxt), the local store and the bundled data."""
