"""Pure market data logic: no grpc, no ccxt, no sqlite."""
