"""The app refuses to start on a shared store whose schema is older than its code, and says which
command to run (one line, no traceback); on an up-to-date store it gets past the check."""
from __future__ import annotations

from apptest import APP
from geo.db import migrate


def _run(url: str, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AAM_DATABASE_URL", url)
    migrate._verified.clear()
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    return at


def test_the_app_stops_on_an_old_schema_naming_the_command(pg_server, monkeypatch) -> None:
    name = "aam_app_old_schema"
    pg_server.admin(f"CREATE DATABASE {name} OWNER aam_owner")
    migrate.upgrade(pg_server.url(name, "aam_owner"), "0001", app_role="aam_app")
    at = _run(pg_server.url(name), monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "python -m geo db upgrade" in errors[0] and "0001" in errors[0]
    assert pg_server.password not in errors[0]


def test_the_check_passes_on_a_current_schema(pg_url, monkeypatch) -> None:
    from ui.store_schema import problem

    monkeypatch.setenv("AAM_DATABASE_URL", pg_url)
    migrate._verified.clear()
    assert problem() is None
    monkeypatch.delenv("AAM_DATABASE_URL")
    assert problem() is None  # SQLite: nothing to check
