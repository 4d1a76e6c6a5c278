"""Personal tokens for the command line: an admin issues one to a member; only its SHA-256 is kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Why: on a shared store the command line must prove which member is calling (an e-mail typed
after ``--as`` proved nothing). Same table on both backends (geo.access.storage's SCHEMA on a
SQLite file the code creates; here for an existing file or a PostgreSQL database).
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = """
CREATE TABLE IF NOT EXISTS access_tokens (
    token_id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    revoked_at TEXT
)"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(TABLE)


def downgrade() -> None:
    raise NotImplementedError("the store is never migrated backwards: restore a backup instead")
