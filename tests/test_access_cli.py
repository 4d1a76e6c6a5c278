"""The command line acts as an authenticated member under the same checks as the app: the holder of a
personal token (``AAM_TOKEN``) an admin issued; an e-mail typed on the command line proves nothing."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from access_fixtures import ADMIN_A, ADMIN_B, ANALYST_A, HOST_ADMIN, OFFICER_A, SMP, VIEWER_A, two_councils
from fixtures_sites import LAD_A

pytestmark = pytest.mark.usefixtures("store_backend_module")  # on SQLite and on PostgreSQL (pg_server.py)

ROOT = Path(__file__).resolve().parents[1]


def geo(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
    """``python -m geo ARGS`` with ``token`` in AAM_TOKEN (none: AAM_TOKEN unset)."""
    env = {k: v for k, v in os.environ.items() if k != "AAM_TOKEN"}
    if token:
        env["AAM_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture(scope="module")
def store(tmp_path_factory, store_backend_module):
    return two_councils(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def tokens(store) -> dict[str, str]:
    """A personal token for every member, issued by the hosting body's admin."""
    from geo.access.identity import member_for
    from geo.access.tokens import issue

    host = member_for(store.db, HOST_ADMIN, has_provider=False)
    return {email: issue(store.db, host, email)[1]
            for email in (ADMIN_A, ADMIN_B, ANALYST_A, HOST_ADMIN, OFFICER_A, VIEWER_A)}


def _refused(done: subprocess.CompletedProcess) -> None:
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_sites_export_needs_an_allowed_member(store, tokens) -> None:
    db = str(store.db)
    _refused(geo("sites", "export", "--db", db))                       # no token on a store with members
    _refused(geo("sites", "export", "--db", db, token=tokens[VIEWER_A]))
    _refused(geo("sites", "export", "--db", db, token=tokens[OFFICER_A]))  # on screen only
    _refused(geo("sites", "export", "--db", db, token="aam_00000000_not-a-token"))
    done = geo("sites", "export", "--db", db, token=tokens[ANALYST_A])
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(io.StringIO(done.stdout), skiprows=1)
    assert set(table["reference"]) == store.refs_a                      # council A's records only
    traced = geo("audit", "trace", "-", "--db", db)  # '-' is no file: one line, non-zero
    _refused(traced)


def test_exported_stdout_is_traceable(store, tokens, tmp_path: Path) -> None:
    done = geo("sites", "export", "--db", str(store.db), "--format", "geojson", token=tokens[ANALYST_A])
    path = tmp_path / "sites.geojson"
    path.write_text(done.stdout)
    found = json.loads(geo("audit", "trace", str(path), "--db", str(store.db), "--json").stdout)
    assert found["member"] == ANALYST_A and found["organisation"] == LAD_A and found["format"] == "geojson"


def test_rejections_only_for_the_owning_admin(store, tokens) -> None:
    db = str(store.db)
    _refused(geo("sites", "rejections", "--db", db, "--batch", "1", token=tokens[ANALYST_A]))
    _refused(geo("sites", "rejections", "--db", db, "--batch", "1", token=tokens[ADMIN_B]))
    done = geo("sites", "rejections", "--db", db, "--batch", "1", token=tokens[ADMIN_A])
    assert done.returncode == 0 and done.stdout.startswith("row,column,reason")


def test_access_commands(store, tokens, tmp_path: Path) -> None:
    db = str(store.db)
    _refused(geo("access", "grant", "new@a.gov.uk", "--org", LAD_A, "--role", "viewer", "--db", db))
    grant = ("access", "grant", "new@a.gov.uk", "--org", LAD_A, "--role", "viewer", "--db", db)
    _refused(geo(*grant, token=tokens[OFFICER_A]))
    assert geo(*grant, token=tokens[ADMIN_A]).returncode == 0
    assert geo("access", "agree", "--from", LAD_A, "--to", SMP, "--what", "aggregates", "--until", "2099-12-31",
               "--db", db, token=tokens[ADMIN_A]).returncode == 0
    listing = json.loads(geo("access", "list", "--db", db, "--json").stdout)
    assert {"email": "new@a.gov.uk", "organisation": LAD_A, "role": "viewer"}.items() <= next(
        m for m in listing["members"] if m["email"] == "new@a.gov.uk").items()
    assert any(a["from_org"] == LAD_A and a["to_org"] == SMP and a["in_force"] for a in listing["agreements"])
    assert geo("access", "revoke", "new@a.gov.uk", "--db", db, token=tokens[HOST_ADMIN]).returncode == 0
    listing = json.loads(geo("access", "list", "--db", db, "--json").stdout)
    assert all(m["email"] != "new@a.gov.uk" for m in listing["members"])
    assert geo("audit", "verify", "--db", db).returncode == 0


def test_a_fresh_store_lets_the_person_at_the_machine_add_the_first_admin(tmp_path: Path, switch_store) -> None:
    switch_store()  # on PostgreSQL, a fresh database rather than the module's
    db = str(tmp_path / "fresh.sqlite")
    done = geo("access", "grant", "first@a.gov.uk", "--org", LAD_A, "--role", "admin", "--with-token", "--db", db)
    assert done.returncode == 0, done.stderr
    first = done.stdout.strip().splitlines()[-1]                     # the first admin's token, shown once
    _refused(geo("access", "grant", "second@a.gov.uk", "--org", LAD_A, "--role", "admin", "--db", db))
    assert geo("access", "grant", "second@a.gov.uk", "--org", LAD_A, "--role", "admin", "--db", db,
               token=first).returncode == 0


def test_sites_import_acts_as_an_admin_member(store, tokens, tmp_path: Path) -> None:
    from access_fixtures import council_rows
    from fixtures_sites import LAD_B, write_csv, write_wards
    from geo.sites.store import SiteStore

    wards = write_wards(tmp_path / "wards.geojson")
    path = write_csv(tmp_path / "more.csv", council_rows(LAD_B)[:1] + [["Z9", "Dispersed", "", "", 52.15, -1.95,
                                                                         3, 2, "Open", "", "", "", ""]])
    args = ["sites", "import", str(path), "--db", str(store.db), "--wards", str(wards), "--json"]
    _refused(geo(*args))                              # no token on a store with members
    _refused(geo(*args, token=tokens[OFFICER_A]))     # officers do not import
    done = geo(*args, token=tokens[ADMIN_B])
    assert done.returncode == 0, done.stderr
    batches = SiteStore(store.db).list_batches()
    last = batches.iloc[-1]
    assert last["imported_by"] == ADMIN_B and last["organisation"] == LAD_B


def test_an_email_on_the_command_line_proves_nothing(store, tokens) -> None:
    """Finding 3: ``--as admin@...`` was taken at its word: anyone who could open the store granted
    themselves a role, and the log named the admin as the granter."""
    from geo.access import audit

    db = str(store.db)
    done = geo("access", "grant", "mallory@evil.example", "--org", LAD_A, "--role", "analyst", "--db", db,
               "--as", ADMIN_A)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    _refused(geo("access", "grant", "mallory@evil.example", "--org", LAD_A, "--role", "analyst", "--db", db))
    listing = json.loads(geo("access", "list", "--db", db, "--json").stdout)
    assert all(m["email"] != "mallory@evil.example" for m in listing["members"])
    assert not [r for r in audit.read(store.db, action="member_grant") if "mallory" in r["detail"]]


def test_tokens_are_issued_by_admins_kept_hashed_and_revocable(store, tokens, tmp_path: Path) -> None:
    from geo.access import audit
    from geo.access.tokens import digest

    db = str(store.db)
    issue = ("access", "token", "issue", VIEWER_A, "--db", db)
    _refused(geo(*issue))                                    # no token: nobody to vouch
    _refused(geo(*issue, token=tokens[ANALYST_A]))           # not an admin
    _refused(geo(*issue, token=tokens[ADMIN_B]))             # an admin of another council
    done = geo(*issue, token=tokens[ADMIN_A])
    assert done.returncode == 0, done.stderr
    fresh = done.stdout.strip()
    assert fresh.startswith("aam_") and "not shown again" in done.stderr
    if Path(db).is_file():                                    # SQLite: the file holds the hash, never the token
        raw = Path(db).read_bytes()
        assert fresh.encode() not in raw and digest(fresh).encode() in raw
    listed = geo("access", "token", "list", "--db", db, token=tokens[ADMIN_A])
    assert listed.returncode == 0 and fresh not in listed.stdout and VIEWER_A in listed.stdout
    # The token works, and the audit log names the member it proves.
    log = ("audit", "log", "--db", db, "--action", "token_issue")
    assert geo(*log, token=tokens[ADMIN_A]).returncode == 0
    assert audit.read(store.db, member=ADMIN_A, action="token_issue")
    # Revoked: refused at once, one line.
    token_id = fresh.split("_")[1]
    assert geo("access", "token", "revoke", VIEWER_A, "--id", token_id, "--db", db,
               token=tokens[ADMIN_A]).returncode == 0
    _refused(geo("sites", "rejections", "--db", db, "--batch", "1", token=fresh))
    assert audit.read(store.db, member=ADMIN_A, action="token_revoke")


def test_a_revoked_membership_voids_its_tokens(store, tokens) -> None:
    from geo.access.identity import member_for
    from geo.access.manage import grant
    from geo.access.tokens import issue

    host = member_for(store.db, HOST_ADMIN, has_provider=False)
    grant(store.db, host, "leaver@a.gov.uk", LAD_A, "admin")
    _, token = issue(store.db, host, "leaver@a.gov.uk")
    db = str(store.db)
    assert geo("sites", "rejections", "--db", db, "--batch", "1", token=token).returncode == 0
    assert geo("access", "revoke", "leaver@a.gov.uk", "--db", db, token=tokens[HOST_ADMIN]).returncode == 0
    done = geo("sites", "rejections", "--db", db, "--batch", "1", token=token)
    _refused(done)
    assert "no longer a member" in done.stderr
