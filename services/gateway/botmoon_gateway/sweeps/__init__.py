"""Parameter sweeps and walk-forward: the pure parts (spaces, ranking, window plans, aggregation, progress).

Nothing here does I/O or talks gRPC; the job runner and its storage build on these functions.
"""
