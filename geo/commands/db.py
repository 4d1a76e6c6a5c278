"""``python -m geo db upgrade|current``: bring a store's schema up to the code's, or say where it is (thin).

The store is ``--db PATH`` (a SQLite file), or the PostgreSQL database in ``AAM_DATABASE_URL``
(which wins, as it does for the app). On PostgreSQL run it as the tables' owner and name the
role the app servers connect as (``--app-role``): it is granted row access, never ownership,
so the database's row-level security applies to it.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

APP_ROLE_ENV = "AAM_DATABASE_APP_ROLE"


def register(subparsers: Any) -> argparse.ArgumentParser:
    top = subparsers.add_parser("db", help="schema migrations for the store (SQLite file or PostgreSQL)")
    sub = top.add_subparsers(dest="db_command", metavar="COMMAND", required=True)

    p = sub.add_parser("upgrade", help="migrate the store to this code's schema (idempotent)")
    p.add_argument("--db", type=Path, help="SQLite store (default: AAM_SITES_DB); ignored when AAM_DATABASE_URL is set")
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p.add_argument("--app-role", default=os.environ.get(APP_ROLE_ENV),
                   help=f"PostgreSQL role the app connects as, granted row access (default: {APP_ROLE_ENV})")
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser("load-wards", help="load the ward layer into PostgreSQL (PostGIS): imports then place "
                                          "sites in the database")
    p.add_argument("--wards", type=Path, help="ward file with ward_code, ward_name, lad_code, lad_name "
                                              "(default: the official boundaries)")
    p.set_defaults(func=cmd_load_wards)

    p = sub.add_parser("current", help="print the store's schema revision and the code's")
    p.add_argument("--db", type=Path, help="SQLite store (default: AAM_SITES_DB); ignored when AAM_DATABASE_URL is set")
    p.set_defaults(func=cmd_current)
    return top


def _location(args: argparse.Namespace) -> str | Path:
    from geo.db import database_url
    from geo.errors import GeoError

    url = database_url()
    if url:
        return url
    db = args.db or os.environ.get("AAM_SITES_DB")
    if not db:
        raise GeoError("name the store: --db PATH, or set AAM_DATABASE_URL (PostgreSQL) or AAM_SITES_DB")
    return Path(db)


def _where(location: str | Path) -> str:
    from geo.db import redact

    return redact(location) if isinstance(location, str) else str(location)


def cmd_upgrade(args: argparse.Namespace) -> int:
    from geo.db.migrate import upgrade

    location = _location(args)
    now = upgrade(location, args.revision, app_role=args.app_role)
    print(f"{_where(location)}: schema at {now}")
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    from geo.db.migrate import current, head

    location = _location(args)
    found, wanted = current(location), head()
    state = "up to date" if found == wanted else "run `python -m geo db upgrade`"
    print(f"{_where(location)}: schema at {found or 'none'}, code needs {wanted} ({state})")
    return 0 if found == wanted else 1


def cmd_load_wards(args: argparse.Namespace) -> int:
    from geo.db import database_url, redact
    from geo.db.spatial import load_wards
    from geo.errors import DataError, GeoError

    url = database_url()
    if not url:
        raise GeoError("load-wards is for a PostgreSQL store: set AAM_DATABASE_URL (SQLite places in-process)")
    if args.wards is not None:
        import geopandas as gpd

        if not args.wards.is_file():
            raise DataError("ward file not found", file=args.wards)
        try:
            wards = gpd.read_file(args.wards)
        except Exception as exc:  # pyogrio's errors
            raise DataError(f"cannot read the ward file ({exc.__class__.__name__}: {exc})", file=args.wards) from exc
        vintage = args.wards.name
    else:
        from geo.model import load_ward_layer

        wards = load_ward_layer()
        vintage = "official"
    count = load_wards(url, wards, vintage=vintage)
    print(f"{redact(url)}: {count:,} wards loaded (GiST-indexed); imports now place sites in the database")
    return 0
