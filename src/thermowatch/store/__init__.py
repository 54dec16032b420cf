"""The history store: tables, repositories, migrations (SQLite by default, PostgreSQL in production)."""
