"""Outside systems the sandbox talks to: the Docker engine."""
