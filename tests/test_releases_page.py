"""Sources page: says when GOV.UK has a newer release, lets an admin fetch it, shows the revisions.

Runs the real app under streamlit.testing against the local Content API stand-in, with its own
cache folder so nothing touches the project's cache.
"""
from __future__ import annotations

import os

import pytest  # noqa: F401  (fixtures)

from conftest import ROOT, needs_shared
from govuk_server import GovukServer
from test_releases import NEW_D11, NEW_REG02, _serve, later_reg02, revising_workbook

pytestmark = needs_shared


@pytest.fixture()
def app_env(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("AAM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("AAM_DATA_DIR", raising=False)
    st.cache_resource.clear()  # the app's model is a process-wide cached resource: load it from this cache
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()  # and leave no model built from this test's files behind for other tests
    st.cache_data.clear()


def _sources_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/sources.py")
    return at


def _texts(at) -> str:
    return " ".join([m.value for m in at.markdown] + [w.value for w in at.warning] + [s.value for s in at.success]
                    + [c.value for c in at.caption])


def test_sources_page_finds_fetches_and_shows_revisions(app_env, monkeypatch):
    with GovukServer() as srv:
        _serve(srv, later_reg02(app_env / "built").read_bytes(), revising_workbook())
        monkeypatch.setenv("AAM_GOVUK_API", srv.base)
        monkeypatch.setenv("AAM_GOVUK_ASSETS", srv.base)
        at = _sources_page()
        from geo.access.members import local_admin
        from ui.auth import SESSION_KEY

        at.session_state[SESSION_KEY] = local_admin()  # the desktop mode's admin (ui.auth.gate sets this)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert "Not checked yet" in _texts(at)
        at.button(key="releases_check").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert "newer release file(s) on GOV.UK" in _texts(at), [e.value for e in at.error]
        listed = " ".join(str(df.value.to_dict()) for df in at.dataframe)
        assert NEW_REG02 in listed and NEW_D11 in listed
        at.button(key="releases_fetch").click().run()
        assert not at.exception, [e.message for e in at.exception]
    assert (app_env / "downloads" / "homeoffice" / NEW_REG02).is_file()
    revisions = [df.value for df in at.dataframe if "Was" in df.value.columns]
    assert revisions and set(revisions[0]["Authority"]) == {"Glasgow City"}
    assert os.environ["AAM_CACHE_DIR"] == str(app_env)


def _panel_script(cache: str, admin: bool) -> None:
    from types import SimpleNamespace

    from ui.releases import panel

    panel(SimpleNamespace(provenance={}, cache_dir=cache), admin=admin)


def test_only_an_admin_gets_the_fetch_button(tmp_path):
    from streamlit.testing.v1 import AppTest

    from geo import releases

    releases.save_check([releases.NewRelease("reg02", "Reg_02, 31 March 2026", NEW_REG02,
                                             "http://127.0.0.1:8641/media/test/" + NEW_REG02, "2026-03-31",
                                             None, "regional-and-local-authority-dataset-dec-2025.ods")], tmp_path)
    for admin in (False, True):
        at = AppTest.from_function(_panel_script, args=(str(tmp_path), admin), default_timeout=60)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert "newer release file(s) on GOV.UK" in _texts(at)
        assert bool([b for b in at.button if b.key == "releases_fetch"]) == admin
        assert ("An administrator can fetch" in _texts(at)) != admin
