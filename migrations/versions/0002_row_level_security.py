"""Row-level security on site records, batches, rejections and the audit log (PostgreSQL only).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Why in the database: a region's store holds many councils' OFFICIAL-SENSITIVE site records, so
the database itself must refuse rows outside the member's organisations, whatever SQL reaches
it. Every transaction the app opens sets ``app.organisations`` (``SET LOCAL``: a comma list of
organisation codes, or ``*`` for the app's own system work); a session that sets nothing sees
no rows. ``FORCE`` makes the policies bind the tables' owner too; the app connects as a role
that owns nothing (``python -m geo db upgrade --app-role``). On SQLite there is one council per
file and this revision does nothing.
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IN_SCOPE = """
CREATE FUNCTION aam_in_scope(org TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE(current_setting('app.organisations', true), '') = '*'
        OR org = ANY (string_to_array(NULLIF(current_setting('app.organisations', true), ''), ','))
$$"""
BY_ORGANISATION = ("batches", "site_versions", "audit_log")
BY_BATCH = ("rejections", "batch_not_in_file")  # scoped through their batch (itself scoped)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(IN_SCOPE)
    for table in (*BY_ORGANISATION, *BY_BATCH):
        bind.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        bind.exec_driver_sql(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for table in BY_ORGANISATION:
        bind.exec_driver_sql(f"CREATE POLICY {table}_scope ON {table} USING (aam_in_scope(organisation))"
                             " WITH CHECK (aam_in_scope(organisation))")
    for table in BY_BATCH:
        bind.exec_driver_sql(f"CREATE POLICY {table}_scope ON {table}"
                             f" USING (EXISTS (SELECT 1 FROM batches b WHERE b.id = {table}.batch_id))"
                             f" WITH CHECK (EXISTS (SELECT 1 FROM batches b WHERE b.id = {table}.batch_id))")


def downgrade() -> None:
    raise NotImplementedError("the store is never migrated backwards: restore a backup instead")
