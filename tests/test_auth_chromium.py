"""Sign-in end to end: the app served by ``streamlit run`` with an OpenID provider (tests/oidc_provider.py),
headless Chromium signing in as different people, and what each browser *receives* over the
WebSocket checked for site references (tables, tooltips and heat-map data all travel that way).

Ports: the app on 8621, the provider on 9621 (this issue's range), both on 127.0.0.1.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from access_fixtures import (
    ADMIN_B,
    HOST_ADMIN,
    OFFICER_A,
    OFFICER_B,
    REAL_A,
    REAL_B,
    SMP,
    SMP_OFFICER,
    VIEWER_A,
    real_two_councils,
)
from conftest import REQUIRE_E2E, needs_shared
from e2e_server import CHROMIUM
from oidc_provider import running_provider, secrets_toml

ROOT = Path(__file__).resolve().parents[1]
APP_PORT, IDP_PORT = 8621, 9621
WAIT_MS = 180_000
REQUIRED = REQUIRE_E2E  # CI=true or AAM_REQUIRE_E2E=1: a missing browser fails
STRANGER = "stranger@elsewhere.example"
# Members of council A whose provider sends a flawed id_token (tests/oidc_provider.py FLAWS).
FLAWED = {f"{flaw.replace('_', '.')}@a.gov.uk": flaw
          for flaw in ("unverified", "wrong_issuer", "wrong_audience", "expired")}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason="Debian's /usr/bin/chromium is not installed"),
    needs_shared,  # skipped outside CI when ../shared/data is absent; a failure in CI (conftest)
]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def serve_app(secrets: Path, db: Path):
    """``streamlit run serve.py`` on 127.0.0.1:APP_PORT with these secrets and this store; stopped after."""
    base = f"http://127.0.0.1:{APP_PORT}"
    log = tempfile.NamedTemporaryFile(prefix="aam-auth-", suffix=".log", delete=False)  # noqa: SIM115 (kept open)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(APP_PORT),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--secrets.files", str(secrets)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "AAM_SITES_DB": str(db)})
    try:
        deadline = time.monotonic() + 180
        while not _healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start:\n" + Path(log.name).read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group only
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def world(model, tmp_path_factory):
    """Two councils' records, members, the provider knowing every test user, and the app using it."""
    tmp = tmp_path_factory.mktemp("auth-e2e")
    from geo.access.identity import member_for
    from geo.access.manage import grant

    db, refs = real_two_councils(model, tmp)
    host = member_for(db, HOST_ADMIN, has_provider=False)
    for email in FLAWED:  # real members of council A: only the flaw in their sign-in keeps them out
        grant(db, host, email, REAL_A, "officer")
    users = [VIEWER_A, OFFICER_A, OFFICER_B, SMP_OFFICER, STRANGER, *FLAWED]
    with running_provider(users, port=IDP_PORT, flaws=FLAWED) as provider:
        secrets = tmp / "secrets.toml"
        secrets.write_text(secrets_toml(provider, APP_PORT))
        with serve_app(secrets, db) as base:
            yield {"db": db, "refs": refs, "base": base, "provider": provider}




class Session:
    """One person's browser: signs in through the provider's form, records every WebSocket frame."""

    def __init__(self, browser, base: str, email: str) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000})
        self.page = self.context.new_page()
        self.base, self.email = base, email
        self.frames: list[bytes] = []
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._keep))

    def _keep(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else str(payload).encode())

    def sign_in(self) -> Session:
        self.page.goto(self.base + "/", timeout=WAIT_MS)
        self.page.get_by_role("button", name="Sign in").click(timeout=WAIT_MS)
        self.page.get_by_role("button", name=self.email).click(timeout=WAIT_MS)  # the provider's form
        self.page.wait_for_url(f"{self.base}/**", timeout=WAIT_MS)
        return self

    def open_sites(self, expect: str) -> bytes:
        """Open the Sites page, wait for ``expect`` on it, and return everything received meanwhile."""
        self.frames.clear()
        self.page.goto(self.base + "/sites", timeout=WAIT_MS)
        self.page.get_by_text(expect).first.wait_for(state="attached", timeout=WAIT_MS)  # may sit in a hidden tab
        self.page.wait_for_timeout(3000)  # late frames (maps, tables in other tabs)
        return b"".join(self.frames)

    def close(self) -> None:
        self.context.close()


def _seen(received: bytes, refs: set[str]) -> set[str]:
    return {r for r in refs if r.encode() in received}


def test_a_viewer_receives_no_site_reference(world, browser) -> None:
    from geo.access import audit

    s = Session(browser, world["base"], VIEWER_A).sign_in()
    try:
        received = s.open_sites("you see ward figures")
        assert not _seen(received, world["refs"][REAL_A] | world["refs"][REAL_B])
        assert s.page.get_by_text("Download sites").count() == 0
    finally:
        s.close()
    assert audit.read(world["db"], member=VIEWER_A, action="sign_in")


def test_officers_of_two_councils_each_receive_only_their_own(world, browser) -> None:
    for email, lad, other in ((OFFICER_A, REAL_A, REAL_B), (OFFICER_B, REAL_B, REAL_A)):
        s = Session(browser, world["base"], email).sign_in()
        try:
            received = s.open_sites("Site records in")
            assert _seen(received, world["refs"][lad]), "their own records reach the page"
            assert not _seen(received, world["refs"][other])
            # No file leaves through the table toolbar: hover the site table, no download control.
            s.page.get_by_role("tab", name="Site list").click(force=True)
            table = s.page.locator("[data-testid='stDataFrame']:visible").first
            table.hover()
            toolbar = s.page.locator("[data-testid='stElementToolbar']:visible button")
            toolbar.first.wait_for(timeout=WAIT_MS)  # the toolbar is there (search, fullscreen) ...
            labels = [toolbar.nth(i).get_attribute("aria-label") or "" for i in range(toolbar.count())]
            assert any("Search" in label for label in labels), labels
            assert not any("Download" in label for label in labels), labels  # ... without "Download as CSV"
            assert s.page.get_by_text("Download sites").count() == 0
        finally:
            s.close()


def test_an_smp_sees_a_council_under_an_agreement_until_it_ends(world, browser) -> None:
    from geo.access.identity import member_for
    from geo.access.manage import agree, end_agreement

    db, refs = world["db"], world["refs"]
    s = Session(browser, world["base"], SMP_OFFICER).sign_in()
    try:
        assert not _seen(s.open_sites("Asylum accommodation sites"), refs[REAL_A] | refs[REAL_B])
        admin_b = member_for(db, ADMIN_B, has_provider=False)
        made = agree(db, admin_b, REAL_B, SMP, "sites", valid_until=date.today() + timedelta(days=30))
        received = s.open_sites("Site records in")
        assert _seen(received, refs[REAL_B]) and not _seen(received, refs[REAL_A])
        end_agreement(db, admin_b, made.id)
        assert not _seen(s.open_sites("Asylum accommodation sites"), refs[REAL_A] | refs[REAL_B])
    finally:
        s.close()


def test_an_unknown_email_is_asked_to_contact_an_administrator(world, browser) -> None:
    from geo.access import audit

    s = Session(browser, world["base"], STRANGER).sign_in()
    try:
        s.page.get_by_text("ask your administrator").wait_for(timeout=WAIT_MS)
        received = s.open_sites("ask your administrator")
        assert not _seen(received, world["refs"][REAL_A] | world["refs"][REAL_B])
    finally:
        s.close()
    assert audit.read(world["db"], member=STRANGER, action="refused")


def test_an_unverified_email_cannot_sign_in(world, browser) -> None:
    """Finding 1: a member's e-mail with ``email_verified: false`` was shown "Signed in as"."""
    from geo.access import audit

    email = next(e for e, flaw in FLAWED.items() if flaw == "unverified")
    s = Session(browser, world["base"], email).sign_in()
    try:
        s.page.get_by_text("Sign-in refused").wait_for(timeout=WAIT_MS)
        assert s.page.get_by_text("has not verified the e-mail address").count() == 1
        received = s.open_sites("Sign-in refused")
        assert not _seen(received, world["refs"][REAL_A] | world["refs"][REAL_B])
        assert s.page.get_by_text("Signed in as").count() == 0
    finally:
        s.close()
    assert any("not verified" in r["detail"] for r in audit.read(world["db"], member=email, action="refused"))


@pytest.mark.parametrize("flaw", ["wrong_issuer", "wrong_audience", "expired"])
def test_a_token_from_another_issuer_audience_or_time_cannot_sign_in(world, browser, flaw: str) -> None:
    """Streamlit's sign-in (Authlib) refuses these at the callback: the visitor is back at "Sign in"."""
    email = next(e for e, f in FLAWED.items() if f == flaw)
    s = Session(browser, world["base"], email).sign_in()
    try:
        s.page.get_by_role("button", name="Sign in").wait_for(timeout=WAIT_MS)
        received = s.open_sites("Sign in with your organisation")
        assert not _seen(received, world["refs"][REAL_A] | world["refs"][REAL_B])
        assert s.page.get_by_text("Signed in as").count() == 0
    finally:
        s.close()


def test_sign_out_is_logged_and_the_log_verifies(world, browser) -> None:
    from geo.access import audit

    s = Session(browser, world["base"], OFFICER_A).sign_in()
    try:
        s.page.get_by_role("button", name="Sign out").click(timeout=WAIT_MS)
        s.page.get_by_role("button", name="Sign in").wait_for(timeout=WAIT_MS)
    finally:
        s.close()
    assert audit.read(world["db"], member=OFFICER_A, action="sign_out")
    assert audit.verify(world["db"]).ok
