"""Issue 27 findings 4 and 5: the check page after bad input, every reason on screen, the check map's
key and labels, and the register's ward names, references and decision default."""
from __future__ import annotations

import pytest

from check_fixtures import check_page, inside, sample_store_copy, ward_people
from conftest import needs_shared
from geo.check.settings import PROPOSAL_TYPES
from ui import check as UC

pytestmark = needs_shared


@pytest.fixture
def db(model, tmp_path, monkeypatch):
    return sample_store_copy(model, tmp_path, monkeypatch)


def _check(at, first: str, second: str, people: int = 6):
    at.text_input(key="check_first").input(first)
    at.text_input(key="check_second").input(second)
    at.number_input(key="check_people").set_value(people)
    next(b for b in at.button if b.label == "Check").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _over_ward(model):
    wards = ward_people(model)
    return wards[wards["population"].notna() & (wards["dispersed"] > wards["capacity"])].sort_values(
        "ward_code").iloc[0]


def _kept_forms(at) -> list[str]:
    return [b.label for b in at.button if str(b.label).startswith("Keep ")]


@pytest.mark.parametrize("first,second,says", [("52,4650", "-1,8700", "latitude must be a number (write 52.4650"),
                                               ("", "", "Enter the latitude")])
def test_bad_input_clears_the_previous_answer_and_its_actions(model, db, first, second, says) -> None:
    """Finding 4: the error appeared above the old answer and its 'Keep 1 proposal' form."""
    lat, lon = inside(model, _over_ward(model)["ward_code"])
    at = _check(check_page(), str(lat), str(lon))
    assert _kept_forms(at) == ["Keep 1 proposal"] and (at.table or at.dataframe)
    at = _check(at, first, second)
    assert [e.value for e in at.error if says in e.value], [e.value for e in at.error]
    assert not _kept_forms(at)
    assert not at.table and not at.dataframe  # no evidence table of the earlier answer
    assert not at.get("deck_gl_json_chart")


def test_every_reason_the_check_gives_is_on_screen(model, db) -> None:
    """Finding 5: '(1 more reason below.)' pointed at a reason only the PDF printed."""
    ctx = UC.context(model, UC.visible_site_records(UC.member_for_email(db, None), db))
    wards = ward_people(model)
    for code in wards[wards["population"].notna() & (wards["dispersed"] > wards["capacity"])]["ward_code"]:
        lat, lon = inside(model, code)
        answer = UC.run_single(ctx, site_type=PROPOSAL_TYPES[0], people=40, latitude=lat,
                               longitude=lon).results[0]
        if len(answer["reasons"]) > 1:
            break
    else:
        pytest.skip("no ward on the sample gives two reasons")
    at = _check(check_page(), str(lat), str(lon), people=40)
    shown = " ".join(m.value for m in at.markdown) + " ".join(e.value for e in at.error)
    for why in answer["reasons"]:
        assert why in shown


def test_the_check_map_has_a_key_ring_labels_and_the_ward_name(model, db) -> None:
    """Finding 5: the on-screen check map had no key, no ring labels and no ward name."""
    import json
    from html import escape

    ward = _over_ward(model)
    lat, lon = inside(model, ward["ward_code"])
    at = _check(check_page(), str(lat), str(lon))
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    texts = [d.get("text") for layer in spec["layers"] if layer.get("@@type") == "TextLayer"
             for d in layer.get("data", [])]
    assert {"250 m", "500 m", "1 km"} <= set(texts)
    assert f"{ward['ward_name']} ward" in texts
    key = next(m.value for m in at.markdown if "aam-legend" in m.value)
    assert "Proposed property" in key and "250 m" in key and escape(ward["ward_name"]) in key


def test_the_register_names_the_ward_gives_a_reference_and_starts_at_the_check_answer(model, db) -> None:
    """Finding 5: ward code alone, reference 'proposal', decision defaulting to 'support' after 'object'."""
    ward = _over_ward(model)
    lat, lon = inside(model, ward["ward_code"])
    at = _check(check_page(), str(lat), str(lon))
    next(b for b in at.button if str(b.label).startswith("Keep ")).click()
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Check said" in d.value.columns)
    if hasattr(table, "data"):
        table = table.data  # a Styler
    row = table.iloc[-1]
    assert row["Ward"] == f"{ward['ward_name']} ({ward['ward_code']})"
    assert row["Reference"] != "proposal" and ward["ward_name"] in row["Reference"]
    assert row["Check said"] == "object"
    picker = next(s for s in at.selectbox if s.label == "Decision")
    assert picker.value == "object"
