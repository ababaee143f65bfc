"""`make bench`: measured figures, written to docs/benchmarks.md with the machine and the date."""
