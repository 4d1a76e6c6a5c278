"""The register: proposals kept with their answer as it stood, decisions over time, overdue,
procured -> site record (planned, then open), and a site procured after an objection flagged."""
from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from check_fixtures import context, import_sample, inside, sample_db, ward_people
from geo.check.evaluate import CONDITIONS, OBJECT, SUPPORT, build_context, check_proposals
from geo.check.placement import PlacedProposals, single_proposal
from geo.check.register import PROCURED_AFTER_OBJECTION, Register, site_flags
from geo.check.settings import CheckSettings
from geo.errors import DataError
from geo.sites.store import SiteStore

pytestmark = pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL (tests/pg_server.py)


@pytest.fixture
def db(model, tmp_path, store_backend):
    """A private copy of the sample store, so procurements here touch no other test."""
    path = tmp_path / "sites.sqlite"
    if store_backend == "postgresql":
        return import_sample(model, path)  # into this test's fresh database
    shutil.copy(sample_db(model), path)
    return path


def _answer(model, db, ward_code: str, people: int = 4, site_type: str = "dispersed") -> dict:
    lat, lon = inside(model, ward_code)
    ctx = build_context(model, SiteStore(db).current_sites())
    placed = PlacedProposals(single_proposal(site_type=site_type, people=people, latitude=lat, longitude=lon,
                                             reference=f"PROP-{ward_code}", provider="Provider A"))
    return check_proposals(placed, ctx).results[0]


def _wards(model) -> tuple[str, str]:
    wards = ward_people(model)
    over = wards[wards["population"].notna() & (wards["dispersed"] > wards["capacity"])]
    roomy = wards[wards["population"].notna() & (wards["capacity"] - wards["dispersed"] > 50)]
    return over.sort_values("ward_code").iloc[0]["ward_code"], roomy.sort_values("ward_code").iloc[0]["ward_code"]


def test_decisions_are_kept_over_time_and_overdue_stands_out(model, db) -> None:
    over, roomy = _wards(model)
    reg = Register(db)
    a = reg.add(_answer(model, db, over), organisation="E08000012", entered_by="officer@liverpool",
                received=date(2026, 1, 5), deadline=date(2026, 1, 15))
    b = reg.add(_answer(model, db, roomy), organisation="E08000012", entered_by="officer@liverpool",
                received=date(2026, 1, 6), deadline=date(2026, 1, 20))
    c = reg.add(_answer(model, db, roomy), organisation="E08000012", entered_by="officer@liverpool",
                received=date(2026, 1, 25), deadline=date(2026, 2, 10))
    reg.decide(a, OBJECT, "ward already over 1:200", "head of housing", "2026-01-10T09:00:00+00:00")
    reg.decide(a, CONDITIONS, "provider agreed to house families only", "head of housing",
               "2026-01-12T09:00:00+00:00")
    table = reg.proposals("E08000012", today=date(2026, 2, 1)).set_index("id")
    assert table.at[a, "decision"] == CONDITIONS and not table.at[a, "overdue"]
    assert table.at[b, "overdue"] and pd.isna(table.at[b, "decision"])   # deadline passed, no answer
    assert not table.at[c, "overdue"]                                       # deadline still ahead
    assert list(table.index) == [a, b, c]                                   # soonest deadline first
    history = reg.history(a)
    assert history["what"].tolist() == [OBJECT, CONDITIONS]
    assert history["who"].tolist() == ["head of housing"] * 2
    with pytest.raises(DataError, match="decision must be one of"):
        reg.decide(a, "maybe", "x", "someone")
    with pytest.raises(DataError, match="needs a reason"):
        reg.decide(a, OBJECT, "  ", "someone")
    with pytest.raises(DataError, match="before the date received"):
        reg.add(_answer(model, db, roomy), organisation="E08000012", entered_by="x", received=date(2026, 1, 9),
                deadline=date(2026, 1, 1))


def test_procured_proposal_becomes_a_site_and_objection_is_flagged(model, db) -> None:
    over, roomy = _wards(model)
    reg = Register(db)
    objected = _answer(model, db, over, people=5)
    assert objected["recommendation"] == OBJECT
    a = reg.add(objected, organisation="E08000012", entered_by="officer", received=date(2026, 1, 5))
    b = reg.add(_answer(model, db, roomy, people=3), organisation="E08000012", entered_by="officer",
                received=date(2026, 1, 5))
    reg.decide(a, OBJECT, "ward already over 1:200", "head of housing")
    reg.decide(b, SUPPORT, "room under 1:200", "head of housing")

    first = reg.procure(a, wards=model.wards, status="planned", recorded_by="officer")
    store = SiteStore(db)
    site = store.current_sites().set_index("reference").loc[first.site_reference]
    assert site["status"] == "planned" and site["ward_code"] == over
    assert first.after_objection

    ward_before = objected["ward_dispersed_now"]
    reg.procure(a, wards=model.wards, status="open", recorded_by="officer")
    versions = store.site_history(first.site_reference)
    assert versions["status"].tolist() == ["planned", "open"]
    assert int(versions["people"].iloc[-1]) == 5
    # The answer kept in the register is the one given on the day, not today's.
    assert reg.answer(a)["ward_dispersed_now"] == ward_before
    fresh = _answer(model, db, over, people=5)
    assert fresh["ward_dispersed_now"] == ward_before + 5

    supported = reg.procure(b, wards=model.wards, status="planned", recorded_by="officer")
    assert not supported.after_objection
    flagged = reg.procured_after_objection()
    assert flagged["site_reference"].tolist() == [first.site_reference]
    assert flagged["flag"].tolist() == [PROCURED_AFTER_OBJECTION]
    table = reg.proposals().set_index("id")
    assert table.at[a, "procured_after_objection"] and not table.at[b, "procured_after_objection"]
    assert table.at[a, "procured_status"] == "open"
    flags = site_flags(reg, pd.DataFrame({"reference": [supported.site_reference]})).set_index("reference")
    assert flags.at[first.site_reference, "procured_after_objection"]
    assert not flags.at[first.site_reference, "acquired_while_over"]
    assert flags.at[supported.site_reference, "acquired_while_over"]
    assert [e for e in reg.history(a)["event"]] == ["decision", "procured", "procured"]

    # The Sites page's table: only sites in the member's scope, and only those procured over an objection.
    from ui.sites import procured_after_objection
    in_scope = store.current_sites()
    shown = procured_after_objection(db, pd.DataFrame(), in_scope)
    assert shown["Reference"].tolist() == [first.site_reference]
    assert procured_after_objection(db, pd.DataFrame(), in_scope[in_scope["reference"] != first.site_reference]).empty


def test_settings_are_kept_per_organisation_with_history(model, db) -> None:
    reg = Register(db)
    assert reg.settings("E08000012") == CheckSettings()
    reg.save_settings("E08000012", CheckSettings(max_sites_nearby=2), "policy lead")
    reg.save_settings("E08000012", CheckSettings(max_sites_nearby=3), "policy lead")
    reg.save_settings("E08000025", CheckSettings(object_hotel_in_ward=False), "policy lead")
    assert reg.settings("E08000012").max_sites_nearby == 3
    assert reg.settings("E08000025").object_hotel_in_ward is False
    assert reg.settings("E09000017") == CheckSettings()
    ctx = context(model, reg.settings("E08000012"))
    assert "more than 3 sites" in " ".join(ctx.settings.describe())


def test_members_decide_and_procure_by_role_and_every_change_is_audited(model, db) -> None:
    import json

    from geo.access import audit
    from geo.access.members import AccessDenied, Member, Organisation, local_admin
    from geo.check import actions

    over, _ = _wards(model)
    reg = Register(db)
    pid = reg.add(_answer(model, db, over), organisation="E08000012", entered_by="officer",
                  received=date(2026, 1, 5))  # the officer's own council's register (issue 26)
    council = Organisation("E08000012", "Liverpool", "council")
    officer = Member("officer@liverpool.example", council, "officer")
    viewer = Member("viewer@liverpool.example", council, "viewer")
    actions.decide(reg, officer, pid, OBJECT, "ward already over 1:200")
    with pytest.raises(AccessDenied):
        actions.decide(reg, viewer, pid, SUPPORT, "changed our mind")
    with pytest.raises(AccessDenied):
        actions.procure(reg, officer, pid, wards=model.wards)
    done = actions.procure(reg, local_admin(), pid, wards=model.wards, status="planned")
    assert done.after_objection
    assert reg.history(pid)["who"].tolist() == [officer.email, local_admin().email]
    edits = [json.loads(r["detail"]) for r in audit.read(db, action="edit")]
    assert [e["what"] for e in edits] == ["proposal decision", "procured proposal"]
    assert audit.verify(db).ok
