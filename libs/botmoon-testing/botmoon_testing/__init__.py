"""What the tests and benchmarks share: real service processes on loopback, Docker state."""
