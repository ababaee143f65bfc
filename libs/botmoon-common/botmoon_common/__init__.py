"""Code every Botmoon service shares: logging, request ids, settings and the gRPC server bootstrap."""
