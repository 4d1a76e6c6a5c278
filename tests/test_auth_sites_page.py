"""The Sites page as different members (headless, on the real files): what each browser receives.

Two councils' records are imported by each council's admin; a viewer, officers of both councils,
an analyst and an SMP officer (with and without an agreement) open the page. The page is fed by
``geo.access.scope``, so the elements Streamlit sends carry only what that member may see.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from access_fixtures import REAL_A as A
from access_fixtures import REAL_B as B
from access_fixtures import SMP, real_two_councils
from apptest import deck_texts
from conftest import needs_shared

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "sites.py")

pytestmark = needs_shared


@pytest.fixture(scope="module")
def store(model, tmp_path_factory):
    return real_two_councils(model, tmp_path_factory.mktemp("auth-page"))


def _open(db: Path, email: str, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.access.identity import member_for

    monkeypatch.setenv("AAM_SITES_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["aam_member"] = member_for(db, email, has_provider=False)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _sent_text(at) -> str:
    """Everything the page sent that could carry a site reference: tables, markdown, captions, maps."""
    parts = [e.value.to_csv() for e in at.dataframe]
    parts += [str(e.value) for e in (*at.markdown, *at.caption, *at.info)]
    parts += deck_texts(at)
    return "\n".join(parts)


def _references(at) -> set[str]:
    """Every site reference in any table the page sent (the site list holds them all)."""
    return {str(r) for e in at.dataframe for col in ("Reference", "reference") if col in e.value.columns
            for r in e.value[col]}


def test_viewer_receives_no_site_rows(store, monkeypatch) -> None:
    db, refs = store
    at = _open(db, "viewer@a.gov.uk", monkeypatch)
    sent = _sent_text(at)
    assert not any(ref in sent for ref in refs[A] | refs[B])
    assert not _references(at)
    assert not [b for b in at.get("download_button")]
    wards = next(e.value for e in at.dataframe if "Ward" in e.value.columns)
    assert len(wards) > 0  # ward figures from their council's records, suppressed where small


def test_officers_see_their_own_council_and_may_not_download(store, monkeypatch) -> None:
    from geo.access import audit

    db, refs = store
    for email, lad, other in (("officer@a.gov.uk", A, B), ("officer@b.gov.uk", B, A)):
        at = _open(db, email, monkeypatch)
        assert _references(at) == refs[lad]
        maps = "\n".join(deck_texts(at))
        assert not any(ref in maps for ref in refs[other])  # tooltips and heat layer data too
        assert not [b for b in at.get("download_button") if "sites" in str(b.proto.label).lower()]
        assert audit.read(db, member=email, action="view_sites")


def test_analyst_is_offered_the_traced_downloads(store, monkeypatch) -> None:
    db, refs = store
    at = _open(db, "analyst@a.gov.uk", monkeypatch)
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert "Download sites (CSV)" in labels and "Download sites (GeoJSON)" in labels
    assert _references(at) == refs[A]


def test_smp_sees_a_council_only_while_an_agreement_is_in_force(store, monkeypatch) -> None:
    from geo.access.identity import member_for
    from geo.access.manage import agree, end_agreement

    db, refs = store
    assert not _references(_open(db, "officer@smp.org.uk", monkeypatch))
    admin_b = member_for(db, "admin@b.gov.uk", has_provider=False)
    made = agree(db, admin_b, B, SMP, "sites", valid_until=date.today() + timedelta(days=7))
    assert _references(_open(db, "officer@smp.org.uk", monkeypatch)) == refs[B]
    end_agreement(db, admin_b, made.id)
    assert not _references(_open(db, "officer@smp.org.uk", monkeypatch))


def _ward_page(db: Path, email: str, ward: str, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.access.identity import member_for

    monkeypatch.setenv("AAM_SITES_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / "ward.py"), default_timeout=240)
    at.session_state["aam_member"] = member_for(db, email, has_provider=False)
    at.query_params["ward"] = ward
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_ward_view_shows_sites_only_to_members_who_may_see_them(store, monkeypatch) -> None:
    from geo.access.identity import member_for
    from geo.access.scope import visible_sites

    db, refs = store
    officer = member_for(db, "officer@a.gov.uk", has_provider=False)
    sites = visible_sites(officer, db, record=False)
    ward = sites["ward_code"].value_counts().index[0]  # the ward with most of council A's sites
    viewer = _ward_page(db, "viewer@a.gov.uk", ward, monkeypatch)
    sent = _sent_text(viewer)
    assert not any(ref in sent for ref in refs[A] | refs[B])
    assert not any("Site records in this ward" in m.value for m in viewer.markdown)
    seen = _ward_page(db, "officer@a.gov.uk", ward, monkeypatch)
    assert any("Site records in this ward" in m.value for m in seen.markdown)
    assert _references(seen) & refs[A] and not _references(seen) & refs[B]
