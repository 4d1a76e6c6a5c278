"""Ward figures on screen follow disclosure control (issue 13): a session without site access sees
the exports' [c] cells; the desktop administrator sees the figures.
"""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT, needs_shared
from geo import disclosure
from ui import tables

LIVERPOOL = "E08000012"
pytestmark = needs_shared


@pytest.fixture(scope="module")
def store_and_measures(model, tmp_path_factory):
    from geo.sites.measures import ward_measures
    from geo.sites.sample import totals_from_asy_d11, write_sample
    from geo.sites.store import SiteStore
    from ui import sites as SV

    folder = tmp_path_factory.mktemp("sites")
    db = folder / "sites.sqlite"
    path = write_sample(folder, model.wards, totals_from_asy_d11(model.stats), lads=(LIVERPOOL,))
    SV.import_file(path, db, model.wards)
    sites = SiteStore(db).current_sites()
    wards = pd.DataFrame(model.wards.drop(columns="geometry"))
    return db, ward_measures(sites, wards)


def _caption(at) -> str:
    return next(c.value for c in at.caption if "people in dispersed sites" in c.value)


def test_ward_view_hides_small_counts_without_site_access(store_and_measures, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    db, measures = store_and_measures
    hidden = disclosure.suppress(measures).mask["dispersed_people"]
    small = measures[hidden & measures["dispersed_people"].between(1, 4)]
    if small.empty:
        pytest.skip("the sample has no small ward count in Liverpool")
    ward = small["ward_code"].iloc[0]
    monkeypatch.setenv("AAM_SITES_DB", str(db))
    page = AppTest.from_file(str(ROOT / "pages" / "ward.py"), default_timeout=240)
    page.query_params["ward"] = ward
    page.query_params["period"] = "2024-09-30"
    page.run()
    assert not page.exception, [e.message for e in page.exception]
    assert _caption(page).startswith("[c] people")  # no member signed in: no site access
    status = next(m.value for m in page.metric if m.label == "Ward 1:200 status")
    assert status == "[c]"

    from apptest import run_app

    admin = run_app("pages/ward.py", ward=ward, period="2024-09-30")  # the desktop mode's administrator may view sites
    count = int(small["dispersed_people"].iloc[0])
    assert _caption(admin).startswith(f"{count:,} people")


def test_council_ward_table_and_tooltips_hide_small_counts(store_and_measures, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    db, measures = store_and_measures
    hidden = disclosure.suppress(measures).mask["dispersed_people"]
    hidden_codes = set(measures.loc[hidden, "ward_code"])
    if not hidden_codes:
        pytest.skip("nothing to hide in the sample")
    monkeypatch.setenv("AAM_SITES_DB", str(db))
    page = AppTest.from_file(str(ROOT / "pages" / "council.py"), default_timeout=240)
    page.query_params["lad"] = LIVERPOOL
    page.query_params["period"] = "2024-09-30"
    page.run()
    assert not page.exception, [e.message for e in page.exception]
    table = next(d.value for d in page.dataframe if "ward_code" in d.value.columns and "dispersed_people" in d.value)
    shown = table.set_index("ward_code")["dispersed_people"]
    # Hidden cells never reach the browser: no figure (a table writes a gap as a dash, ui.tables).
    hidden_shown = shown[shown.index.isin(hidden_codes)]
    assert (hidden_shown.isna() | hidden_shown.isin([tables.MISSING, disclosure.SUPPRESSED])).all(), hidden_shown
    assert shown[~shown.index.isin(hidden_codes)].notna().all()
    from apptest import deck_specs

    spec = deck_specs(page)[0]

    lines: dict[str, set[str]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("properties", node)
            if isinstance(props, dict) and "l4" in props and ("ward_code" in props or "code" in props):
                lines.setdefault(str(props.get("ward_code", props.get("code"))), set()).add(str(props["l4"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert lines, "no ward tooltips found in the map"
    for code in hidden_codes & set(lines):  # no count in a hidden ward's tooltip
        assert not any("Dispersed people (site records):" in line for line in lines[code]), (code, lines[code])
    shown_codes = set(lines) - hidden_codes
    assert any(any("Dispersed people" in line for line in lines[c]) for c in shown_codes)


def test_snapshot_does_not_outline_a_hidden_ward_as_over(model) -> None:
    """A ward hidden as the second [c] cell must not be drawn 'over 1:200' either: the outline
    would say its count is above its limit."""
    from geo import rules
    from geo.render.maps import content

    pop = pd.read_csv(ROOT.parent / "shared" / "data" / "ons" / "ward_population_census2021_wd23.csv")
    pop = pop[pop["population"] > 0].sort_values("population")
    first = pop.iloc[0]
    other = pop[(pop["LAD23CD"] == first["LAD23CD"]) & (pop["WD23CD"] != first["WD23CD"])].iloc[0]
    over_count = int(rules.capacity(float(first["population"]))) + 1  # just over its limit
    measures = pd.DataFrame({"ward_code": [first["WD23CD"], other["WD23CD"]], "dispersed_people": [over_count, 3],
                             "hotel_people": [0, 0]})
    assert disclosure.suppress(measures.assign(lad_code=first["LAD23CD"]), counts=["dispersed_people"]).mask[
        "dispersed_people"].all()  # the 3 is primary; the only other positive ward is its secondary
    areas = content._ward_areas(model, "dispersed", measures).set_index("code")
    assert bool(areas.at[first["WD23CD"], "suppressed"])
    assert not bool(areas.at[first["WD23CD"], "over"])


def test_briefing_does_not_list_a_hidden_ward_as_over(model) -> None:
    """The briefing's 'Wards over the limit' table must not name a ward whose count is hidden."""
    from geo import rules
    from geo.render import briefing

    pop = pd.read_csv(ROOT.parent / "shared" / "data" / "ons" / "ward_population_census2021_wd23.csv")
    pop = pop[pop["population"] > 0].sort_values("population")
    first = pop.iloc[0]
    other = pop[(pop["LAD23CD"] == first["LAD23CD"]) & (pop["WD23CD"] != first["WD23CD"])].iloc[0]
    over_count = int(rules.capacity(float(first["population"]))) + 1
    measures = pd.DataFrame({"ward_code": [first["WD23CD"], other["WD23CD"]], "dispersed_people": [over_count, 3],
                             "hotel_people": [0, 0]})
    sel = briefing.Selection(model, first["LAD23CD"], None, "2024-09-30")
    flow = briefing._over_page(model, sel, measures, briefing._styles())
    text = " ".join(str(getattr(item, "text", "")) + " " + str(getattr(item, "_cellvalues", "")) for item in flow)
    assert first["WD23NM"] not in text
    assert "No ward in the selection is over the limit" in text
