"""Alembic environment: always run from code (:func:`thermowatch.store.migrate.upgrade`).

The caller passes an open connection in ``config.attributes["connection"]``; there is no
repository-root ``alembic.ini`` and no URL in a file.
"""

from __future__ import annotations

from alembic import context

from thermowatch.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when run by the alembic CLI
    raise RuntimeError("run migrations with `thermowatch db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    user_module_prefix="thermowatch.store.types.",
)
with context.begin_transaction():
    context.run_migrations()
