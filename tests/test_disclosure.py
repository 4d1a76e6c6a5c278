"""Disclosure control done once (issue 13): suppression that survives subtraction and side-by-side
exports, checked by the linear-programming audit on hand-made tables and on the illustrative sample.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import published_files
from fixtures_sites import REAL_POPULATION, needs_real_data, real_ward_layer
from geo import disclosure
from geo.disclosure import THRESHOLD, audit, hidden_cells, suppress


def _table(rows: list[tuple[str, str, int]], column: str = "dispersed") -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ward_code", "lad_code", column])


def _naive_mask(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The old rule (issue 13's finding): the primary plus the next smallest ward, zeros included."""
    hidden = disclosure.primary(frame[column])
    for _, rows in frame.groupby("lad_code"):
        if int(hidden[rows.index].sum()) == 1:
            rest = rows[~hidden[rows.index]].sort_values([column, "ward_code"])
            hidden[rest.index[0]] = True
    return pd.DataFrame({column: hidden})


def test_subtraction_with_a_zero_ward_regression() -> None:
    """Authority total minus the shown wards recovered the hidden 3 when the second hidden ward had 0."""
    frame = _table([("W1", "A", 3), ("W2", "A", 0), ("W3", "A", 12), ("W4", "A", 20)])
    old = _naive_mask(frame, "dispersed")
    assert old["dispersed"].tolist() == [True, True, False, False]
    assert audit(frame, old), "the audit must catch the old rule"  # the audit can fail
    new = suppress(frame).mask
    assert not new.at[1, "dispersed"]  # a zero is never the second cell
    assert new["dispersed"].sum() >= 2
    assert audit(frame, new) == []
    shown_total = frame.loc[~new["dispersed"], "dispersed"].sum()
    assert frame["dispersed"].sum() - shown_total >= THRESHOLD  # what subtraction gives is a sum of 5 or more


def test_two_small_primaries_are_not_enough_alone() -> None:
    """Hidden 1 and 3 (sum 4 < 5): the total still narrows each to 0..4, so a third ward is hidden."""
    frame = _table([("W1", "A", 1), ("W2", "A", 3), ("W3", "A", 9), ("W4", "A", 40)])
    assert audit(frame, pd.DataFrame({"dispersed": disclosure.primary(frame["dispersed"])}))
    mask = suppress(frame).mask
    assert mask["dispersed"].tolist() == [True, True, True, False]
    assert audit(frame, mask) == []


def test_hand_made_case_built_to_tempt() -> None:
    """Zeros everywhere, two authorities, a ward total made of parts, and derived figures."""
    rows = [  # ward, lad, hotel, dispersed, population
        ("A1", "A", 0, 3, 4000), ("A2", "A", 0, 0, 5000), ("A3", "A", 0, 0, 5200), ("A4", "A", 25, 6, 6000),
        ("A5", "A", 0, 2, 800), ("A6", "A", 60, 30, 7000),
        ("B1", "B", 4, 0, 3000), ("B2", "B", 0, 0, 3000), ("B3", "B", 50, 11, 3000), ("B4", "B", 7, 8, 3000),
    ]
    frame = pd.DataFrame(rows, columns=["ward_code", "lad_code", "hotel", "dispersed", "population"])
    frame["supported"] = frame["hotel"] + frame["dispersed"]
    from geo import rules

    frame["limit_used"] = rules.limit_used(frame["dispersed"], frame["population"])
    frame["headroom"] = rules.headroom(frame["dispersed"], frame["population"])
    frame["over_threshold"] = rules.over_threshold(frame["dispersed"], frame["population"])
    frame["per_1000"] = frame["supported"] / frame["population"] * 1000
    result = suppress(frame)
    mask = result.mask.reindex(columns=frame.columns, fill_value=False)
    counts = ["hotel", "dispersed", "supported"]
    assert audit(frame, mask, counts=counts) == []
    for col in counts:  # never a zero as a secondary cell
        assert not (mask[col] & (frame[col] == 0)).any(), col
    for col in ("limit_used", "headroom", "over_threshold"):  # hidden with the count they give back
        assert (mask[col] >= mask["dispersed"]).all(), col
    assert (mask["per_1000"] >= mask["supported"]).all()
    # A5 (2 people, 800 residents: capacity 4) and A1 are hidden; whether A5 is over its limit is too
    assert mask.set_index(frame["ward_code"]).at["A5", "over_threshold"]


def test_only_wards_with_sites_on_and_off_regression() -> None:
    """Two exports of one area hid different second cells; side by side they gave the 3 back."""
    full = _table([("W1", "A", 3), ("W2", "A", 0), ("W3", "A", 0), ("W4", "A", 8), ("W5", "A", 6),
                   ("W6", "A", 15)])
    with_sites = full[full["dispersed"] > 0]
    a = suppress(with_sites, full=full).mask["dispersed"]
    b = suppress(full, full=full).mask["dispersed"]
    hidden_a = set(with_sites.loc[a[a].index, "ward_code"])
    hidden_b = set(full.loc[b[b].index, "ward_code"])
    assert hidden_a == hidden_b
    # Everything both exports publish, together, still hides the cell:
    union = pd.DataFrame({"dispersed": full["ward_code"].isin(hidden_a & hidden_b)})
    assert audit(full, union) == []
    # ...whereas an export computed on its own filtered rows, beside one of the full table, must
    # agree too (no filter-dependent choice): check it directly.
    own = suppress(with_sites).mask["dispersed"]
    assert set(with_sites.loc[own[own].index, "ward_code"]) == hidden_b


def test_filtered_view_uses_the_full_tables_cells() -> None:
    full = _table([("W1", "A", 2), ("W2", "A", 5), ("W3", "A", 9), ("X1", "B", 1), ("X2", "B", 1), ("X3", "B", 4)])
    region_view = full[full["ward_code"].isin(["W1", "X3"])]
    mask = suppress(region_view, full=full).mask["dispersed"]
    assert mask.tolist() == [True, True]  # X3 is hidden because of B's other wards, even when they are filtered out


def test_unprotectable_authority_is_named() -> None:
    frame = _table([("W1", "A", 3), ("W2", "A", 0)])
    result = suppress(frame)
    assert "A" in result.note and result.mask["dispersed"].tolist() == [True, False]


def test_audit_uses_row_totals() -> None:
    """hotel hidden alone in a row whose total is shown would be total minus dispersed: the audit sees it."""
    frame = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "lad_code": ["A"] * 3, "hotel": [3, 9, 20],
                          "dispersed": [10, 0, 7]})
    frame["supported"] = frame["hotel"] + frame["dispersed"]
    only_hotel = pd.DataFrame({"hotel": [True, True, False], "dispersed": False, "supported": False})
    assert audit(frame, only_hotel, counts=["hotel", "dispersed", "supported"])
    mask, _ = hidden_cells(frame, counts=["hotel", "dispersed", "supported"])
    assert audit(frame, mask, counts=["hotel", "dispersed", "supported"]) == []


# --------------------------------------------------------------------------- the illustrative sample

@pytest.fixture(scope="module")
def sample_wards(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from geo.sites.importer import import_sites
    from geo.sites.measures import ward_measures
    from geo.sites.sample import totals_from_reg02, write_sample
    from geo.sites.store import SiteStore

    folder = tmp_path_factory.mktemp("sample")
    totals = totals_from_reg02(published_files.reg02())
    wards = real_ward_layer()
    path = write_sample(folder, wards, totals, seed=11)
    import_sites(path, folder / "s.sqlite", wards, as_at=date(2025, 12, 31))
    sites = SiteStore(folder / "s.sqlite").current_sites()
    population = pd.read_csv(REAL_POPULATION, dtype=str)
    population = pd.DataFrame({"ward_code": population["WD23CD"],
                               "population": population["population"].astype(float)})
    table = ward_measures(sites, wards, population, as_at=date(2025, 12, 31))
    return table[table["lad_code"].isin(sites["lad_code"].dropna().unique())].reset_index(drop=True)


@needs_real_data
def test_audit_passes_for_every_authority_in_the_sample(sample_wards: pd.DataFrame) -> None:
    counts = [c for c in disclosure.COUNT_COLUMNS if c in sample_wards.columns]
    assert {"hotel_people", "dispersed_people"} <= set(counts)
    result = suppress(sample_wards, counts=counts)
    mask = result.mask.reindex(columns=sample_wards.columns, fill_value=False)
    assert mask[counts].to_numpy().any(), "the sample should have small ward counts to protect"
    findings = audit(sample_wards, mask, counts=counts)
    assert findings == [], "\n".join(map(str, findings[:10]))
    assert sample_wards["lad_code"].nunique() == 4
    for col in counts:
        assert not (mask[col] & (sample_wards[col] == 0)).any(), col


@needs_real_data
def test_sample_views_hide_the_same_cells(sample_wards: pd.DataFrame) -> None:
    counts = [c for c in disclosure.COUNT_COLUMNS if c in sample_wards.columns]
    full = suppress(sample_wards, counts=counts).mask
    with_sites = sample_wards[(sample_wards[counts].sum(axis=1) > 0)]
    view = suppress(with_sites, counts=counts, full=sample_wards).mask
    for col in view.columns:
        assert view[col].equals(full[col].loc[with_sites.index]), col


def test_briefing_hides_limit_used_and_over_by_beside_c() -> None:
    """Regression: the briefing pack printed 'Limit used' and 'Over by' beside a [c]."""
    from geo import rules
    from geo.render.briefing import _threshold_rows

    frame = pd.DataFrame({"ward_name": ["Tiny", "Big"], "lad_name": ["A", "A"], "population": [600.0, 4000.0],
                          "dispersed": [4, 40]})
    frame["limit_used"] = rules.limit_used(frame["dispersed"], frame["population"])
    frame["headroom"] = rules.headroom(frame["dispersed"], frame["population"])
    hidden = pd.DataFrame({"dispersed": [True, False]})
    rows = _threshold_rows(frame, ["ward_name", "lad_name"], hidden)
    assert rows[0][3] == "[c]" and rows[0][-2:] == ["[c]", "[c]"]
    assert "[c]" not in rows[1]


def test_screen_figures_for_members_without_site_access() -> None:
    """The ward table on screen was not suppressed at all (issue 13)."""
    from ui.disclosure import ward_figures, ward_values

    full = pd.DataFrame({"ward_code": ["W1", "W2", "W3", "W4"], "lad_code": ["A"] * 4,
                         "dispersed_people": [3, 0, 7, 30], "population": [4000.0] * 4})
    from geo import rules

    full["limit_used"] = rules.limit_used(full["dispersed_people"], full["population"])
    full["status"] = "within"
    shown = full[full["dispersed_people"] > 0]
    viewer = ward_figures(shown, may_view_sites=False, full=full)
    assert viewer.set_index("ward_code").loc["W1", ["dispersed_people", "limit_used", "status"]].tolist() == \
        ["[c]"] * 3
    assert viewer.set_index("ward_code").loc["W3", "dispersed_people"] == "[c]"
    assert ward_figures(shown, may_view_sites=True, full=full) is shown
    flagged = ward_values(full, may_view_sites=False)
    assert flagged["dispersed_people_suppressed"].tolist() == [True, False, True, False]
    # the same cells as an export of the full table
    export = suppress(full).as_text()
    assert (export["dispersed_people"] == "[c]").tolist() == flagged["dispersed_people_suppressed"].tolist()


def test_a_view_without_the_count_still_hides_what_gives_it_back() -> None:
    """A ward list showing only the 1:200 status (no count) must hide the status of a hidden ward."""
    full = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "lad_code": ["A"] * 3, "dispersed_people": [3, 9, 40],
                         "status": ["over", "within", "within"]})
    view = full[["ward_code", "lad_code", "status"]]
    mask = suppress(view, full=full).mask
    assert mask["status"].tolist() == [True, True, False]


def _dates() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Finding 7: ward W1 holds 3 people at the first date (hidden, with W2's 6 hidden beside it);
    by the next date W1 has 8 and nothing is small, so everything is shown, W2's unchanged 6 too."""
    first = _table([("W1", "A", 3), ("W2", "A", 6), ("W3", "A", 20), ("W4", "A", 30)])
    return first, first.assign(dispersed=[8, 6, 20, 30])


def test_a_series_of_dates_cannot_give_a_hidden_ward_back_regression() -> None:
    """Each date suppressed on its own passes its own audit, yet the first date's hidden total (9)
    less W2's 6 shown at the next date gives W1's 3 back; the series audit finds it, and the
    series suppression keeps W2 hidden while it is unchanged (and protects it again)."""
    from geo.disclosure import audit_series, suppress_series

    tables = _dates()
    alone = [suppress(t).mask for t in tables]
    assert all(audit(t, m) == [] for t, m in zip(tables, alone, strict=True))
    leaks = audit_series(tables, alone)
    assert {(t, f.key) for t, f in leaks} == {(0, "W1"), (0, "W2")}
    assert next(f for _, f in leaks if f.key == "W1").high == 3
    cured = [s.mask for s in suppress_series(tables)]
    assert cured[1].at[1, "dispersed"]  # W2, unchanged, stays hidden
    assert cured[1]["dispersed"].sum() >= 2
    assert audit_series(tables, cured) == []
    assert all(audit(t, m) == [] for t, m in zip(tables, cured, strict=True))


@pytest.mark.parametrize("seed", range(4))
def test_series_suppression_holds_over_many_changing_dates(seed: int) -> None:
    import numpy as np

    from geo.disclosure import audit_series, suppress_series

    rng = np.random.default_rng(seed)
    wards = [(f"{lad}{n}", lad) for lad in ("A", "B") for n in range(7)]
    values = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30], size=len(wards))
    tables = []
    for _ in range(6):  # each date a few wards change, the rest stay as they were
        changed = rng.random(len(wards)) < 0.25
        values = np.where(changed, rng.choice([0, 1, 2, 3, 5, 8, 12, 40], size=len(wards)), values)
        tables.append(pd.DataFrame([(w, lad, int(v)) for (w, lad), v in zip(wards, values, strict=True)],
                                   columns=["ward_code", "lad_code", "dispersed"]))
    cured = [s.mask for s in suppress_series(tables)]
    assert audit_series(tables, cured) == []


def test_the_viewers_ward_table_hides_across_the_stores_dates() -> None:
    from ui.site_access import suppressed_ward_table

    first, now = (t.rename(columns={"dispersed": "dispersed_people"}) for t in _dates())
    alone = suppressed_ward_table(now.copy())
    assert not (alone["dispersed_people"] == disclosure.SUPPRESSED).any()  # today alone: nothing small
    shown = suppressed_ward_table(now.copy(), [first])
    assert shown.loc[shown["ward_code"] == "W2", "dispersed_people"].tolist() == [disclosure.SUPPRESSED]
    assert (shown["dispersed_people"] == disclosure.SUPPRESSED).sum() >= 2
