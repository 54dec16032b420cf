"""Alembic migrations of the history store (run with ``thermowatch db upgrade``)."""
