"""A fresh server's first request for a page link runs through app.py (its menu, its gate, its chrome).

With a ``pages/`` folder beside app.py, Streamlit starts in its legacy pages-directory mode; before
issue 11 a private ``PagesManager`` flag was flipped to leave it. ``ui.routing`` now does it with
public commands only, and this is checked in real Chromium against a newly started server whose very
first request is ``/council?lad=...``.
"""
from __future__ import annotations

from e2e_server import running_app
from test_e2e_chromium import WAIT_MS, pytestmark  # noqa: F401  (the skips)

LIVERPOOL = "E08000012"


def test_first_request_to_a_council_link_runs_through_app_py(browser) -> None:  # noqa: F811
    with running_app() as base:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/council?lad={LIVERPOOL}", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Liverpool").first.wait_for(timeout=WAIT_MS)
        nav = page.get_by_test_id("stSidebarNav")
        nav.wait_for(timeout=WAIT_MS)
        menu = nav.inner_text()
        # app.py's st.navigation titles, not the legacy mode's menu of file names (with 'app' first).
        assert "Council view" in menu and "National overview" in menu, menu
        assert "fair share" not in menu and "app\n" not in menu, menu
        assert "/council" in page.url and f"lad={LIVERPOOL}" in page.url, page.url
        assert page.title() == "Asylum accommodation map"  # app.py's set_page_config
        assert not errors, errors
        context.close()
