"""Alembic environment: run on the connection ``geo.db.migrate`` hands over (no alembic.ini URL).

Why no ini file: the same migrations serve the embedded SQLite file and a shared PostgreSQL
server, chosen at run time (``python -m geo db upgrade [--db PATH]`` or ``AAM_DATABASE_URL``).
"""
from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transaction_per_migration=True,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
