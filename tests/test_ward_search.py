"""The ward page sends nothing about the 8,441 wards until someone types (issue 17: an 8,441-option
select box, 349 KB, and the 8,441-row finder table, 875 KB, went out before anyone typed a letter)."""
from __future__ import annotations

import pandas as pd

from apptest import run_app
from conftest import SHARED, needs_shared
from ui.ward_search import match_wards

LABELS = {  # built here, in the page's order (ward name, then council)
    "E05000001": "Abbey (Barking and Dagenham) E05000001",
    "W05000002": "Abbey (Cardiff) W05000002",
    "E05000944": "Ainsdale (Sefton) E05000944",
    "E05000003": "Brainsdale Park (Leeds) E05000003",
    "E05000004": "Castle (Sefton) E05000004",
}


def test_every_word_must_match_and_name_starts_come_first() -> None:
    found, total = match_wards(LABELS, "ainsdale")
    assert list(found) == ["E05000944", "E05000003"] and total == 2  # 'Ainsdale...' before 'Brainsdale...'
    found, total = match_wards(LABELS, "abbey cardiff")
    assert list(found) == ["W05000002"] and total == 1
    found, _ = match_wards(LABELS, "sefton")
    assert set(found) == {"E05000944", "E05000004"}


def test_a_code_typed_whole_comes_first_and_short_queries_match_nothing() -> None:
    found, _ = match_wards({**LABELS, "E05000005": "E05000944 Road (Nowhere) E05000005"}, "e05000944")
    assert list(found)[0] == "E05000944"
    assert match_wards(LABELS, "a") == ({}, 0)
    assert match_wards(LABELS, "  ") == ({}, 0)


def test_the_list_is_capped_but_the_count_is_not() -> None:
    many = {f"E{i:08d}": f"Ward {i} (Somewhere) E{i:08d}" for i in range(100)}
    found, total = match_wards(many, "ward", limit=12)
    assert len(found) == 12 and total == 100


@needs_shared
def test_ward_page_sends_no_ward_list_before_typing_then_opens_the_ward_picked() -> None:
    wards = pd.read_csv(SHARED / "ons" / "ward_population_census2021_wd23.csv", encoding="utf-8-sig")
    row = wards[(wards["WD23NM"] == "Ainsdale") & (wards["LAD23NM"] == "Sefton")].iloc[0]
    at = run_app("pages/ward.py", period="2024-09-30")  # a quarter with hotels published by council
    biggest_choice = max([len(s.options) for s in at.selectbox] + [len(m.options) for m in at.multiselect] + [0])
    assert biggest_choice < 500, "a select box lists the wards before anyone has typed"
    assert not [d for d in at.dataframe if len(d.value) > 500], "a ward table is sent before anyone has asked"
    at.text_input(key="ward_query").input("Ainsdale").run()
    pills = at.pills[0]
    assert row["WD23CD"] in pills.options or any(row["WD23CD"] in str(o) for o in pills.options)
    assert len(pills.options) <= 12
    pills.set_value(row["WD23CD"]).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Residents"] == f"{int(row['population']):,}"
    assert at.query_params.get("ward") in (row["WD23CD"], [row["WD23CD"]])
