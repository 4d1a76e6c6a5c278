"""Proposals, decisions, responses, batches and rejections are scoped like site records on the
command line (issue 26): a member of one council neither reads nor changes another's register,
and with members in the store a command that names no member is refused. On both backends."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from access_fixtures import ADMIN_A, ADMIN_B, ANALYST_A, HOST_ADMIN, LAD_A, LAD_B, OFFICER_A, two_councils

pytestmark = pytest.mark.usefixtures("store_backend")

ROOT = Path(__file__).resolve().parents[1]
ANSWER = {"reference": "P1", "type": "dispersed", "people": 4, "latitude": 53.4, "longitude": -2.9,
          "recommendation": "support", "address": "1 Secret Street"}


def _geo(*args: str, token: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "AAM_TOKEN"} | ({"AAM_TOKEN": token} if token else {})
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=env)


@pytest.fixture
def region(tmp_path: Path):
    """Two councils; council B has one proposal in its register; each member has a token."""
    from geo.access.identity import member_for
    from geo.access.tokens import issue
    from geo.check.register import Register

    store = two_councils(tmp_path)
    Register(store.db).add(ANSWER, organisation=LAD_B, entered_by=ADMIN_B)
    host = member_for(store.db, HOST_ADMIN, has_provider=False)
    tokens = {email: issue(store.db, host, email)[1] for email in (ADMIN_A, ADMIN_B, ANALYST_A, OFFICER_A)}
    return SimpleNamespace(db=store.db, tokens=tokens)


def _refused(done: subprocess.CompletedProcess) -> bool:
    return done.returncode != 0 and "Traceback" not in done.stderr and "Secret Street" not in done.stdout


def test_proposals_list_names_a_member_and_stays_in_their_scope(region) -> None:
    db = str(region.db)
    assert _refused(_geo("proposals", "list", "--db", db, "--organisation", LAD_B))
    assert _refused(_geo("proposals", "list", "--db", db, "--organisation", LAD_B,
                         token=region.tokens[OFFICER_A]))
    own = _geo("proposals", "list", "--db", db, "--json", token=region.tokens[ADMIN_B])
    assert own.returncode == 0 and "P1" in own.stdout, own.stderr


def test_another_councils_proposal_cannot_be_decided_procured_or_answered(region, tmp_path: Path) -> None:
    db = str(region.db)
    assert _refused(_geo("proposals", "decide", "--db", db, "--id", "1", "--decision", "object", "--reason", "no",
                         token=region.tokens[OFFICER_A]))
    assert _refused(_geo("proposals", "procure", "--db", db, "--id", "1", token=region.tokens[ADMIN_A]))
    out = tmp_path / "response.pdf"
    assert _refused(_geo("proposals", "response", "--db", db, "--id", "1", "--out", str(out),
                         token=region.tokens[ANALYST_A]))
    assert not out.exists()
    from geo.check.register import Register

    assert Register(region.db).history(1).empty  # nothing was recorded


def test_a_proposal_cannot_be_planted_in_another_councils_register(region) -> None:
    from geo.access.identity import member_for
    from geo.access.members import AccessDenied
    from geo.check.actions import require_own_register

    with pytest.raises(AccessDenied):
        require_own_register(member_for(region.db, OFFICER_A, has_provider=False), LAD_B)
    done = _geo("check", "--db", str(region.db), "--organisation", LAD_B, "--add",
                "--lat", "53.4", "--lon", "-2.9", "--beds", "4", "--offline", token=region.tokens[OFFICER_A])
    assert _refused(done) and "register" in done.stderr


def test_sites_batches_names_a_member_and_lists_their_organisations_imports(region) -> None:
    import json

    db = str(region.db)
    assert _refused(_geo("sites", "batches", "--db", db))
    done = _geo("sites", "batches", "--db", db, "--json", token=region.tokens[OFFICER_A])
    assert done.returncode == 0, done.stderr
    assert {b["organisation"] for b in json.loads(done.stdout)} == {LAD_A}
