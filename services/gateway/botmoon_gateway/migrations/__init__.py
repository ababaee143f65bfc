"""Alembic's scripts for the gateway's database: `env.py`, and one revision per schema change in `versions/`."""
