"""The Admin and Audit pages (admins only), the sign-in gate's refusals, and the CSV stamp sidecar."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, HOST_ADMIN, OFFICER_A, two_councils
from fixtures_sites import LAD_A

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path):
    return two_councils(tmp_path)


def _page(name: str, db: Path, email: str | None, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.access.identity import member_for

    monkeypatch.setenv("AAM_SITES_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    if email:
        at.session_state["aam_member"] = member_for(db, email, has_provider=False)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_admin_page_is_for_admins_only(store, monkeypatch) -> None:
    for who in (None, OFFICER_A):
        at = _page("admin", store.db, who, monkeypatch)
        assert [e.value for e in at.error] == ["This page is for administrators."]
        assert not at.dataframe


def test_an_admin_adds_a_member_on_the_admin_page_and_it_is_logged(store, monkeypatch) -> None:
    from geo.access import audit
    from geo.access.manage import listing

    at = _page("admin", store.db, ADMIN_A, monkeypatch)
    at.text_input[0].input("new.officer@a.gov.uk")
    at.selectbox[0].select("officer")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.message for e in at.exception]
    assert any("new.officer@a.gov.uk is now officer" in s.value for s in at.success)
    members = {m["email"]: m for m in listing(store.db)["members"]}
    assert members["new.officer@a.gov.uk"]["organisation"] == LAD_A
    last = audit.read(store.db, action="member_grant")[-1]
    assert last["member"] == ADMIN_A and "new.officer@a.gov.uk" in last["detail"]


def test_audit_page_shows_the_log_to_admins_and_checks_its_chain(store, monkeypatch) -> None:
    assert [e.value for e in _page("audit", store.db, OFFICER_A, monkeypatch).error] == [
        "This page is for administrators."]
    at = _page("audit", store.db, HOST_ADMIN, monkeypatch)
    assert any("intact" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert {"Member", "Organisation", "Action", "When (UTC)"} <= set(table.columns) and len(table) > 5
    council = _page("audit", store.db, ADMIN_A, monkeypatch).dataframe[0].value
    assert set(council["Organisation"]) == {LAD_A}  # a council admin reads their own organisation's rows


def test_the_app_refuses_to_serve_beyond_this_computer_without_a_provider(tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from ui import auth

    monkeypatch.setenv("AAM_SITES_DB", str(tmp_path / "s.sqlite"))
    monkeypatch.setattr(auth, "bound_to_loopback", lambda: False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert any("not set up to be shared" in m.value for m in at.markdown)
    assert not at.dataframe


def test_a_store_with_members_and_no_provider_asks_for_sign_in(store, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AAM_SITES_DB", str(store.db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert any("Sign-in needed" in m.value for m in at.markdown)
    assert not at.dataframe


def test_a_table_exported_as_csv_keeps_its_bytes_and_carries_its_stamp_in_the_sidecar(store) -> None:
    from geo.access.identity import member_for
    from geo.access.tracing import stamp_files, trace

    analyst = member_for(store.db, "analyst@a.gov.uk", has_provider=False)
    files = {"t.csv": b"a,b\r\n1,2\r\n", "t.sources.json": b'{"sources": []}'}
    out = stamp_files(store.db, analyst, files, "t.csv", "csv", selection={"page": "test"}, rows=1)
    assert out["t.csv"] == files["t.csv"]
    stamp = json.loads(out["t.sources.json"])["aam_export"]
    found = trace(out["t.csv"], store.db)
    assert found["export_id"] == stamp["export_id"] and found["member"] == "analyst@a.gov.uk"
