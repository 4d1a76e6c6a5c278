"""The command line acts as a named member under the same checks as the app: ``--as EMAIL``."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from access_fixtures import ADMIN_A, ADMIN_B, ANALYST_A, HOST_ADMIN, OFFICER_A, SMP, VIEWER_A, two_councils
from fixtures_sites import LAD_A

pytestmark = pytest.mark.usefixtures("store_backend_module")  # on SQLite and on PostgreSQL (pg_server.py)

ROOT = Path(__file__).resolve().parents[1]


def geo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def store(tmp_path_factory, store_backend_module):
    return two_councils(tmp_path_factory.mktemp("cli"))


def _refused(done: subprocess.CompletedProcess) -> None:
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_sites_export_needs_an_allowed_member(store) -> None:
    db = str(store.db)
    _refused(geo("sites", "export", "--db", db))                          # no --as on a store with members
    _refused(geo("sites", "export", "--db", db, "--as", VIEWER_A))
    _refused(geo("sites", "export", "--db", db, "--as", OFFICER_A))       # on screen only
    _refused(geo("sites", "export", "--db", db, "--as", "stranger@else.where"))
    done = geo("sites", "export", "--db", db, "--as", ANALYST_A)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(io.StringIO(done.stdout), skiprows=1)
    assert set(table["reference"]) == store.refs_a                      # council A's records only
    traced = geo("audit", "trace", "-", "--db", db)  # '-' is no file: one line, non-zero
    _refused(traced)


def test_exported_stdout_is_traceable(store, tmp_path: Path) -> None:
    done = geo("sites", "export", "--db", str(store.db), "--as", ANALYST_A, "--format", "geojson")
    path = tmp_path / "sites.geojson"
    path.write_text(done.stdout)
    found = json.loads(geo("audit", "trace", str(path), "--db", str(store.db), "--json").stdout)
    assert found["member"] == ANALYST_A and found["organisation"] == LAD_A and found["format"] == "geojson"


def test_rejections_only_for_the_owning_admin(store) -> None:
    db = str(store.db)
    _refused(geo("sites", "rejections", "--db", db, "--batch", "1", "--as", ANALYST_A))
    _refused(geo("sites", "rejections", "--db", db, "--batch", "1", "--as", ADMIN_B))
    done = geo("sites", "rejections", "--db", db, "--batch", "1", "--as", ADMIN_A)
    assert done.returncode == 0 and done.stdout.startswith("row,column,reason")


def test_access_commands(store, tmp_path: Path) -> None:
    db = str(store.db)
    _refused(geo("access", "grant", "new@a.gov.uk", "--org", LAD_A, "--role", "viewer", "--db", db))
    _refused(geo("access", "grant", "new@a.gov.uk", "--org", LAD_A, "--role", "viewer", "--db", db,
                 "--as", OFFICER_A))
    assert geo("access", "grant", "new@a.gov.uk", "--org", LAD_A, "--role", "viewer", "--db", db,
               "--as", ADMIN_A).returncode == 0
    assert geo("access", "agree", "--from", LAD_A, "--to", SMP, "--what", "aggregates", "--until", "2099-12-31",
               "--db", db, "--as", ADMIN_A).returncode == 0
    listing = json.loads(geo("access", "list", "--db", db, "--json").stdout)
    assert {"email": "new@a.gov.uk", "organisation": LAD_A, "role": "viewer"}.items() <= next(
        m for m in listing["members"] if m["email"] == "new@a.gov.uk").items()
    assert any(a["from_org"] == LAD_A and a["to_org"] == SMP and a["in_force"] for a in listing["agreements"])
    assert geo("access", "revoke", "new@a.gov.uk", "--db", db, "--as", HOST_ADMIN).returncode == 0
    listing = json.loads(geo("access", "list", "--db", db, "--json").stdout)
    assert all(m["email"] != "new@a.gov.uk" for m in listing["members"])
    assert geo("audit", "verify", "--db", db).returncode == 0


def test_a_fresh_store_lets_the_person_at_the_machine_add_the_first_admin(tmp_path: Path, switch_store) -> None:
    switch_store()  # on PostgreSQL, a fresh database rather than the module's
    db = str(tmp_path / "fresh.sqlite")
    done = geo("access", "grant", "first@a.gov.uk", "--org", LAD_A, "--role", "admin", "--db", db)
    assert done.returncode == 0, done.stderr
    _refused(geo("access", "grant", "second@a.gov.uk", "--org", LAD_A, "--role", "admin", "--db", db))


def test_sites_import_acts_as_an_admin_member(store, tmp_path: Path) -> None:
    from access_fixtures import council_rows
    from fixtures_sites import LAD_B, write_csv, write_wards
    from geo.sites.store import SiteStore

    wards = write_wards(tmp_path / "wards.geojson")
    path = write_csv(tmp_path / "more.csv", council_rows(LAD_B)[:1] + [["Z9", "Dispersed", "", "", 52.15, -1.95,
                                                                         3, 2, "Open", "", "", "", ""]])
    args = ["sites", "import", str(path), "--db", str(store.db), "--wards", str(wards), "--json"]
    _refused(geo(*args))                                   # no --as on a store with members
    _refused(geo(*args, "--as", OFFICER_A))                # officers do not import
    done = geo(*args, "--as", ADMIN_B)
    assert done.returncode == 0, done.stderr
    batches = SiteStore(store.db).list_batches()
    last = batches.iloc[-1]
    assert last["imported_by"] == ADMIN_B and last["organisation"] == LAD_B
