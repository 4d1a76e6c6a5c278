"""Migrations are frozen files (issue 26): none imports the application's code, and Alembic alone
builds on an empty SQLite file the same tables and columns the stores create themselves."""
from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "migrations" / "versions"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_no_migration_imports_the_application() -> None:
    found = {p.name: sorted(m for m in _imports(p) if m == "geo" or m.startswith(("geo.", "ui", "pages")))
             for p in sorted(VERSIONS.glob("*.py"))}
    assert found and all(not mods for mods in found.values()), found


def _columns(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                              " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


def test_alembic_builds_the_stores_schema_on_sqlite(tmp_path: Path, monkeypatch) -> None:
    from geo.access.storage import AccessStore
    from geo.check.register import Register
    from geo.db.migrate import current, head, upgrade

    monkeypatch.delenv("AAM_DATABASE_URL", raising=False)
    by_alembic = tmp_path / "alembic.sqlite"
    sqlite3.connect(by_alembic).close()  # an empty file: every step runs, from the baseline
    assert upgrade(by_alembic) == head() == current(by_alembic)
    by_code = tmp_path / "code.sqlite"
    AccessStore(by_code)
    Register(by_code)
    assert _columns(by_alembic) == _columns(by_code)
