"""Botmoon REST gateway."""
