"""Real Binance candles shipped with the project (provenance: docs/marketdata.md)."""
