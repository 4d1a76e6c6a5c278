"""The ward layer in PostGIS with a GiST index, for placing sites in the database (PostgreSQL only).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Why: on a shared server the boundaries live beside the site records, so placement is one
indexed spatial join (geo.db.spatial) instead of every app server holding the ward layer in
memory for every import. PostGIS must be available: an administrator installs Debian's
postgresql-15-postgis-3 and, if the tables' owner may not, runs ``CREATE EXTENSION postgis`` as
a superuser first. On SQLite this revision does nothing (placement stays in-process).
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    has = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first()
    if has is None:
        available = bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").first()
        if available is None:
            raise RuntimeError("PostGIS is not installed on the database server "
                               "(Debian: apt-get install postgresql-15-postgis-3)")
        bind.exec_driver_sql("CREATE EXTENSION postgis")  # needs a superuser unless already created
    bind.exec_driver_sql("""
        CREATE TABLE wards (
            ward_code TEXT PRIMARY KEY,
            ward_name TEXT NOT NULL,
            lad_code TEXT NOT NULL,
            lad_name TEXT NOT NULL,
            vintage TEXT,
            geom geometry(MultiPolygon, 4326) NOT NULL
        )""")
    bind.exec_driver_sql("CREATE INDEX wards_geom ON wards USING GIST (geom)")


def downgrade() -> None:
    raise NotImplementedError("the store is never migrated backwards: restore a backup instead")
