"""The one scoped read of site records: each member sees only their organisation's records and those
shared under an agreement in force today; viewers get none; every view and refusal is logged."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, ADMIN_B, ANALYST_A, OFFICER_A, OFFICER_B, SMP, SMP_OFFICER, VIEWER_A, two_councils
from fixtures_sites import LAD_A, LAD_B

pytestmark = pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL (tests/pg_server.py)


def _who(db: Path, email: str):
    from geo.access.identity import member_for

    return member_for(db, email, has_provider=False)


@pytest.fixture
def store(tmp_path: Path):
    return two_councils(tmp_path)


def test_officers_see_only_their_own_council(store) -> None:
    from geo.access.scope import visible_sites

    a = visible_sites(_who(store.db, OFFICER_A), store.db)
    b = visible_sites(_who(store.db, OFFICER_B), store.db)
    assert set(a["reference"]) == store.refs_a
    assert set(b["reference"]) == store.refs_b
    assert set(a["organisation"]) == {LAD_A} and set(b["organisation"]) == {LAD_B}


def test_viewer_gets_no_site_rows_and_the_refusal_is_logged(store) -> None:
    from geo.access import audit
    from geo.access.members import AccessDenied
    from geo.access.scope import aggregate_sites, site_scope, visible_sites

    viewer = _who(store.db, VIEWER_A)
    with pytest.raises(AccessDenied):
        visible_sites(viewer, store.db, selection={"page": "sites"})
    refused = audit.read(store.db, member=VIEWER_A, action="refused")
    assert len(refused) == 1 and '"view_sites"' in refused[0]["detail"]
    assert not site_scope(viewer, store.db).may_view_sites
    # ward aggregates are computed from their own council's records, on the server only
    assert set(aggregate_sites(viewer, store.db)["reference"]) == store.refs_a


def test_smp_sees_a_council_only_under_an_agreement_and_expiry_stops_it(store) -> None:
    from geo.access.manage import agree, end_agreement
    from geo.access.scope import visible_sites

    smp = _who(store.db, SMP_OFFICER)
    assert visible_sites(smp, store.db).empty
    admin_a = _who(store.db, ADMIN_A)
    today = date.today()
    made = agree(store.db, admin_a, LAD_A, SMP, "sites", valid_until=today + timedelta(days=30))
    assert set(visible_sites(smp, store.db)["reference"]) == store.refs_a
    # The same agreement seen on a later day: past its last day, nothing.
    assert visible_sites(smp, store.db, today=today + timedelta(days=31)).empty
    end_agreement(store.db, admin_a, made.id)  # ended today: gone at once
    assert visible_sites(smp, store.db).empty


def test_aggregates_agreement_gives_no_site_rows(store) -> None:
    from geo.access.manage import agree
    from geo.access.scope import aggregate_sites, visible_sites

    agree(store.db, _who(store.db, ADMIN_B), LAD_B, SMP, "aggregates", valid_until=date.today())
    smp = _who(store.db, SMP_OFFICER)
    assert visible_sites(smp, store.db).empty
    assert set(aggregate_sites(smp, store.db)["reference"]) == store.refs_b


def test_every_view_is_logged_with_its_selection(store) -> None:
    from geo.access import audit
    from geo.access.scope import visible_sites

    before = len(audit.read(store.db, action="view_sites"))
    visible_sites(_who(store.db, ANALYST_A), store.db, selection={"page": "sites", "lad": LAD_A})
    rows = audit.read(store.db, action="view_sites")
    assert len(rows) == before + 1
    last = rows[-1]
    assert last["member"] == ANALYST_A and last["organisation"] == LAD_A
    assert '"lad": "' + LAD_A + '"' in last["detail"] and f'"rows": {len(store.refs_a)}' in last["detail"]


def test_imports_belong_to_the_importing_member_and_organisation(store) -> None:
    from geo.sites.store import SiteStore

    batches = SiteStore(store.db).list_batches()
    assert set(batches["imported_by"]) == {ADMIN_A, ADMIN_B}


def test_rejected_rows_only_for_the_owning_councils_admin(store) -> None:
    from geo.access.members import AccessDenied
    from geo.access.scope import visible_rejections
    from geo.sites.store import SiteStore

    batches = SiteStore(store.db).list_batches()
    batch_a = int(batches.loc[batches["imported_by"] == ADMIN_A, "id"].iloc[0])
    visible_rejections(_who(store.db, ADMIN_A), store.db, batch_a)
    for email in (ADMIN_B, OFFICER_A, VIEWER_A):
        with pytest.raises(AccessDenied):
            visible_rejections(_who(store.db, email), store.db, batch_a)


def test_officers_may_not_import(store, tmp_path: Path) -> None:
    from access_fixtures import council_rows
    from fixtures_sites import ward_layer, write_csv
    from geo.access.imports import import_as
    from geo.access.members import AccessDenied

    path = write_csv(tmp_path / "again.csv", council_rows(LAD_A))
    with pytest.raises(AccessDenied):
        import_as(_who(store.db, OFFICER_A), path, store.db, ward_layer(), remove_after=True)
    assert not path.exists()  # the upload is removed whatever the outcome


def test_council_admins_manage_only_their_own_organisation(store) -> None:
    from geo.access.manage import agree, grant
    from geo.access.members import AccessDenied

    admin_b = _who(store.db, ADMIN_B)
    with pytest.raises(AccessDenied):
        grant(store.db, admin_b, "someone@b.gov.uk", LAD_A, "analyst")
    with pytest.raises(AccessDenied):
        agree(store.db, admin_b, LAD_A, SMP, "sites", valid_until=date.today())
    with pytest.raises(AccessDenied):
        grant(store.db, _who(store.db, OFFICER_A), "someone@a.gov.uk", LAD_A, "viewer")
