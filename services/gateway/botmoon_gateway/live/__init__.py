"""Live strategies: registration from deployed algorithms, and the runner that evaluates them on new candles."""
