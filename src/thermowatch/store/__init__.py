"""The history store: tables, repositories and migrations.

SQLite by default, PostgreSQL in production (``THERMOWATCH_DATABASE_URL``); see docs/store.md.
"""
