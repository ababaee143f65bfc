"""Helpers the integration and e2e tests share: real service processes on loopback."""
