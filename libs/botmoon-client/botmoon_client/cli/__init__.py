"""The `botmoon` command line."""

from botmoon_client.cli.app import main

__all__ = ["main"]
