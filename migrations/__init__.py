"""Alembic migrations; run them with ``odop-adapter db upgrade``."""
