"""The harness that runs inside a sandbox container. Standard library plus numpy and pandas only."""
