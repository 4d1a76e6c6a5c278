"""Every download button and every mode toggle, on every page, for every role, clicked in Chromium.

Issue 27: the briefing pack's button did nothing (an AttributeError in the server log) and the
presentation toggle applied half its mode; no test clicked either. Here one served app, signed in
through a test OpenID provider as a viewer, an officer, an analyst and an admin of a council holding
the illustrative sample, walks every page its menu offers: opens every Export panel, presses every
button that makes a file ("Make ...", "Export table", "Prepare ..."), then presses every download
button and checks that a file of the type its name says arrives (magic bytes, or it parses).
Every "Presentation mode" toggle is switched on and must fold the sidebar away and show the way
out at once, then switched off again. Nothing the server logs may be a traceback.

One server and one browser for the whole walk; pages are reused within a role's session.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, ANALYST_A, OFFICER_A, VIEWER_A, real_two_councils
from conftest import REQUIRE_E2E, needs_shared
from e2e_server import CHROMIUM, free_port, running_app
from oidc_provider import running_provider, secrets_toml

WAIT_MS = 240_000
ROLES = {"viewer": VIEWER_A, "officer": OFFICER_A, "analyst": ANALYST_A, "admin": ADMIN_A}
MAKERS = re.compile(r"^(Make |Export table|Prepare )")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_E2E, reason="Debian's /usr/bin/chromium is not installed"),
    needs_shared,
]


@pytest.fixture(scope="module")
def served(model, tmp_path_factory):
    """The app with the provider knowing the four members, their store, and the server's log file."""
    tmp = tmp_path_factory.mktemp("every-download")
    db, _ = real_two_councils(model, tmp)
    port = free_port()
    log = tmp / "server.log"
    with running_provider(list(ROLES.values())) as provider:
        secrets = tmp / "secrets.toml"
        secrets.write_text(secrets_toml(provider, port))
        with running_app(env={"AAM_SITES_DB": str(db)}, port=port, args=("--secrets.files", str(secrets)),
                         log_path=log) as base:
            yield base, log


def looks_like(name: str, data: bytes) -> str | None:
    """Why ``data`` is not the file its name says (None when it is)."""
    suffix = Path(name).suffix.lower()
    magic = {".pdf": b"%PDF", ".png": b"\x89PNG", ".gpkg": b"SQLite format 3\x00", ".xlsx": b"PK", ".docx": b"PK"}
    if suffix in magic:
        if not data.startswith(magic[suffix]):
            return f"{name} does not start with {magic[suffix]!r}"
        if suffix in (".xlsx", ".docx"):
            zipfile.ZipFile(io.BytesIO(data)).testzip()
        return None
    if suffix == ".svg":
        return None if b"<svg" in data[:4000] else f"{name} has no <svg"
    if suffix in (".json", ".geojson"):
        json.loads(data.decode("utf-8"))
        return None
    if suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(io.BytesIO(data), comment="#")
        return None if len(frame.columns) else f"{name} has no columns"
    return f"{name}: unexpected kind of file"


def settled(page) -> None:
    """The page's script has finished its run."""
    page.wait_for_timeout(300)  # a click's rerun starts after the click returns
    page.wait_for_function("() => { const a = document.querySelector('[data-test-script-state]');"
                           " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }",
                           timeout=WAIT_MS)


def sign_in(browser, base: str, email: str):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/", timeout=WAIT_MS)
    page.get_by_role("button", name="Sign in").click(timeout=WAIT_MS)
    page.get_by_role("button", name=email).click(timeout=WAIT_MS)  # the provider's form
    page.wait_for_url(f"{base}/**", timeout=WAIT_MS)
    settled(page)
    return context, page


def menu(page, base: str) -> list[str]:
    """Every page the signed-in member's menu offers, as URLs."""
    page.locator("[data-testid=stSidebarNav] a").first.wait_for(timeout=WAIT_MS)
    hrefs = page.eval_on_selector_all("[data-testid=stSidebarNav] a", "els => els.map(e => e.href)")
    return list(dict.fromkeys(h for h in hrefs if h.startswith(base)))


def open_panels(page) -> None:
    """Every collapsed expander opened, and every tab visited (downloads hide in both)."""
    page.evaluate("() => document.querySelectorAll('[data-testid=stExpander] details:not([open]) > summary')"
                  ".forEach((s) => s.click())")  # in the page: a tab's panel may lie over another's summary
    settled(page)


def press_makers(page) -> None:
    """Every button that makes a file for a download button to offer."""
    for button in page.locator("[data-testid=stMain] button").all():
        label = (button.inner_text() or "").strip()
        if MAKERS.match(label) and button.is_visible() and button.is_enabled():
            button.click()
            settled(page)


def downloads(page, where: str) -> list[str]:
    """Press every visible download button; return the problems found."""
    problems = []
    buttons = page.locator("[data-testid=stDownloadButton] button")
    for i in range(buttons.count()):
        button = buttons.nth(i)
        if not button.is_visible():
            continue
        label = button.inner_text().strip()
        try:
            with page.expect_download(timeout=WAIT_MS) as got:
                button.click()
            download = got.value
            print(f"  {label}: {download.suggested_filename}", flush=True)
            data = Path(download.path()).read_bytes()
            why = looks_like(download.suggested_filename, data)
        except Exception as exc:  # noqa: BLE001 (the test reports every button, not just the first)
            why = f"no file arrived ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        if why:
            problems.append(f"{where}: '{label}': {why}")
            print("  PROBLEM", problems[-1], flush=True)
        settled(page)
    return problems


def walk_tabs(page, where: str) -> list[str]:
    """The page's downloads, in each of its tabs in turn."""
    problems: list[str] = []
    tabs = page.locator("[data-testid=stMain] [data-baseweb=tab]")
    for i in range(max(1, tabs.count())):
        if tabs.count():
            tabs.nth(i).click()
            settled(page)
        open_panels(page)
        press_makers(page)
        problems += downloads(page, where)
    return problems


def presentation(page, where: str) -> list[str]:
    """The sidebar's presentation toggle: the whole mode at once (sidebar gone, the way out shown,
    present=1 in the link), then back."""
    toggle = page.locator("[data-testid=stSidebar]").get_by_text("Presentation mode", exact=True)
    if not toggle.count() or not toggle.first.is_visible():
        return []
    toggle.first.click()
    problems = []
    try:  # the run the click starts may wait for the server (a pack being made for a download)
        page.locator("[data-testid=stSidebar]").wait_for(state="hidden", timeout=WAIT_MS)
    except Exception:  # noqa: BLE001 (reported with the others)
        problems.append(f"{where}: the sidebar stayed open in presentation mode")
    settled(page)
    try:
        page.wait_for_url(re.compile(r"[?&]present=1"), timeout=15_000)  # the link follows the run
    except Exception:  # noqa: BLE001 (reported with the others)
        problems.append(f"{where}: presentation mode is not in the link ({page.url})")
    leave = page.locator("[data-testid=stMain] button:visible", has_text=re.compile(r"^\s*Leave"))
    with contextlib.suppress(Exception):  # reported below when it never shows
        leave.first.wait_for(state="visible", timeout=60_000)
    if not leave.count():
        problems.append(f"{where}: presentation mode shows no way out")
        return problems
    leave.first.click()
    settled(page)
    try:
        page.locator("[data-testid=stSidebar]").wait_for(state="visible", timeout=15_000)
    except Exception:  # noqa: BLE001 (reported with the others)
        problems.append(f"{where}: leaving presentation mode did not bring the sidebar back")
    return problems


def test_every_download_and_toggle_works_for_every_role(served, browser) -> None:
    base, log = served
    problems: list[str] = []
    counted = {"pages": 0}
    roles = os.environ.get("AAM_E2E_ROLES", ",".join(ROLES)).split(",")  # a subset while debugging
    for role, email in ((r, ROLES[r]) for r in roles):
        context, page = sign_in(browser, base, email)
        page.errors = []
        page.on("pageerror", lambda exc, p=page: p.errors.append(str(exc)))
        try:
            for url in menu(page, base):
                where = f"{role} {url.removeprefix(base)}"
                print(where, flush=True)  # progress, with -s
                page.goto(url, timeout=WAIT_MS)
                settled(page)
                counted["pages"] += 1
                problems += walk_tabs(page, where)
                problems += presentation(page, where)
                print("  problems so far:", len(problems), problems[-1:], flush=True)
            problems += [f"{role}: page error {e}" for e in page.errors]
        finally:
            context.close()
    server = log.read_text(errors="replace")
    assert counted["pages"] >= 5 * len(roles)
    assert "Traceback" not in server, server[server.find("Traceback") - 200:][:3000]
    assert not problems, "\n".join(problems)
