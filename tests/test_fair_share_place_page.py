"""The place-based fair share on the Fair share page (issue 25): weights from the link, the same
numbers as the command line and the export, the what-if table and the allocation on weighted shares."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from apptest import run_app
from conftest import needs_shared
from geo import place_share
from geo import pressure_share as ps
from geo.commands import main

pytestmark = needs_shared

REGION = "North West"
LINK_WEIGHTS = "affordability:0.05,deprivation:0.3,homelessness:0.15,rents:0.05,uasc:0.1"


def _frame_with(at, column: str, last: bool = False) -> pd.DataFrame:
    """The first (or last) table on the page with that column."""
    tables = [e.value for e in at.dataframe if column in e.value.columns]
    assert tables, f"no table with column {column!r}"
    return tables[-1] if last else tables[0]


@pytest.fixture(scope="module")
def page():
    return run_app("pages/fair_share.py", region=REGION, w=LINK_WEIGHTS, places="300")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["fair-share", "--offline", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_page_export_and_command_line_give_the_same_numbers(page, model, capsys, tmp_path) -> None:
    weights = LINK_WEIGHTS.replace(":", "=")
    cli = {c["lad_code"]: c for c in _cli(capsys, "--region", REGION, "--pressures", weights)["councils"]}
    shown = _frame_with(page, "Fair share, pressure-weighted (people)").set_index("Code")
    assert set(shown.index) == set(cli)
    for code, row in shown.iterrows():
        fair = cli[code]["fair_share"]
        assert row["Fair share, pressure-weighted (people)"] == int(fair + 0.5), code  # whole people on screen
        assert row["Status (pressure-weighted)"] == cli[code]["status"], code
        assert row["Pressure index"] == pytest.approx(cli[code]["pressure_index"], abs=0.005)
    # The export writes the same figures, unrounded, with the rule and weights in its sidecar.
    from ui import exports as ER
    from ui import pressure_share as pview

    request = place_share.Request(area=REGION, period=model.latest_period,
                                  weights=tuple(ps.parse_weights(weights).items()))
    result = place_share.compute(model, request)
    frame = pview.export_frame(result, model.latest_period)
    table = ER.TableRequest(name="fair-share-place-based", level="lad", made_on=date(2026, 1, 5),
                            columns=tuple(frame.columns), notes=tuple(pview.method_lines(result)))
    written = ER.make_table(model, table, frame, tmp_path)
    exported = pd.read_csv(written[0], comment="#").set_index("lad_code")
    for code, c in cli.items():
        assert exported.loc[code, "fair_share"] == pytest.approx(c["fair_share"], rel=1e-9)
        assert exported.loc[code, "status"] == c["status"]
    meta = json.loads(written[1].read_text())
    assert any(n.startswith("Formula: P_i") for n in meta["notes"])
    assert any("deprivation=0.3" in n for n in meta["notes"])


def test_link_weights_reach_the_sliders_and_stay_in_the_link(page) -> None:
    assert page.slider(key="w_fsw_deprivation").value == 0.3
    assert page.query_params["w"] == [LINK_WEIGHTS] or page.query_params["w"] == LINK_WEIGHTS
    changes = _frame_with(page, "Pressure-weighted")
    factors = _frame_with(page, "Status (pressure-weighted)")
    moved = factors[factors["Status (pressure-weighted)"] != factors["Status (population only)"]]
    assert sorted(changes["Code"]) == sorted(moved["Code"])
    captions = " ".join(c.value for c in page.caption)
    for file in ("iod2025_lad.csv", "homelessness_ta_rate_lad.csv", "uasc_looked_after_la.csv"):
        assert file in captions, file  # the screen names every file its weighted figures come from
    sensitivity = _frame_with(page, "Councils changing status")
    assert len(sensitivity) == len(LINK_WEIGHTS.split(","))  # one row per weighted indicator
    assert page.selectbox(key="fs_sweep").value == "deprivation"
    stepped = [e.value for e in page.dataframe if "Status at 0" in e.value.columns]
    if stepped:  # the councils whose status changes as deprivation's weight goes from 0 to 1
        assert {"Status at 1", "Rank at 0.5"} <= set(stepped[0].columns)
    else:
        assert any("No council's status changes" in c.value for c in page.caption)
    alloc = _frame_with(page, "New places allocated", last=True)  # the one on the weighted shares
    assert alloc["New places allocated"].sum() == 300


def test_population_only_preset_gives_the_population_shares(page) -> None:
    page.button(key="fs_preset_pop").click().run()
    assert not page.exception, page.exception
    assert page.slider(key="w_fsw_deprivation").value == 0.0
    factors = _frame_with(page, "Status (pressure-weighted)")
    assert (factors["Status (pressure-weighted)"] == factors["Status (population only)"]).all()
    assert (factors["Fair share, pressure-weighted (people)"] == factors["Fair share, population only (people)"]).all()
    assert page.query_params["w"] in ("none", ["none"])
    page.button(key="fs_preset_memo").click().run()
    assert not page.exception, page.exception
    assert {k: page.slider(key=f"w_fsw_{k}").value for k in ps.MEMORANDUM_WEIGHTS} == ps.MEMORANDUM_WEIGHTS
    assert "w" not in page.query_params  # the documented defaults keep the link short


def test_briefing_pack_has_the_method_page_with_the_same_weights(model, tmp_path) -> None:
    from geo.render.briefing import briefing_pack
    from pdf_tools import pdf_text
    from ui import exports as ER

    weights = ps.parse_weights(LINK_WEIGHTS.replace(":", "="))
    request = ER.BriefingRequest(period=model.latest_period, made_on=date(2026, 1, 5), region=REGION,
                                 place_weights=tuple(sorted(weights.items())))
    out = briefing_pack(model, **request.briefing_kwargs(tmp_path / "nw.pdf"))
    text = " ".join(pdf_text(out).split())
    assert "Place-based fair share: method" in text
    assert "Formula: P_i" in text and "z_deprivation" in text
    result = place_share.compute(model, place_share.Request(area=REGION, period=model.latest_period,
                                                            weights=tuple(sorted(weights.items()))))
    for _, r in ps.status_changes(result).iterrows():
        assert str(r["lad_name"]) in text
    assert "homelessness_ta_rate_lad.csv" in text.replace(" ", "")


def test_all_schemes_from_the_link_agree_with_the_command_line(capsys) -> None:
    at = run_app("pages/fair_share.py", region=REGION, w="none", schemes="asylum,ukraine,afghan")
    assert at.multiselect(key="w_fs_schemes").value == ["asylum", "ukraine", "afghan"]
    cli = {c["lad_code"]: c for c in _cli(capsys, "--region", REGION, "--schemes", "asylum,ukraine,afghan")["councils"]}
    shown = _frame_with(at, "Fair share, pressure-weighted (people)").set_index("Code")
    for code, row in shown.iterrows():
        c = cli[code]
        assert c["burden"] == c["supported"] + c["ukraine"] + c["afghan"]
        assert row["Burden now"] == int(c["burden"] + 0.5)
        assert row["Fair share, pressure-weighted (people)"] == int(c["fair_share"] + 0.5)
        assert row["Status (pressure-weighted)"] == c["status"]
