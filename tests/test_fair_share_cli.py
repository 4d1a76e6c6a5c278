"""`python -m geo fair-share --json`: the shape issue 25 asks for, and the same numbers as the model."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import needs_shared
from geo import place_share
from geo import pressure_share as ps
from geo.commands import main

pytestmark = needs_shared

WEIGHTS = "deprivation=0.15,homelessness=0.15,affordability=0.05,rents=0.05,uasc=0.1"
COUNCIL_KEYS = {"lad_code", "lad_name", "population", "supported", "dispersed", "ukraine", "afghan", "all_schemes",
                "pressure_index", "fair_share", "ratio", "status", "limit", "headroom", "missing",
                "pressure_sources"}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["fair-share", "--offline", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_shape_and_same_numbers_as_the_model(capsys: pytest.CaptureFixture[str], model) -> None:
    out = _run(capsys, "--region", "North West", "--pressures", WEIGHTS)
    assert {"rule", "weights", "total", "councils"} <= set(out)
    assert out["weights"]["deprivation"] == 0.15
    assert all(set(c) >= COUNCIL_KEYS for c in out["councils"])
    request = place_share.Request(area="North West", period=model.latest_period,
                                  weights=tuple(ps.parse_weights(WEIGHTS).items()))
    expected = place_share.compute(model, request).table.set_index("lad_code")
    for c in out["councils"]:
        assert c["fair_share"] == pytest.approx(expected.loc[c["lad_code"], "fair_share"], rel=1e-12)
        assert c["status"] == expected.loc[c["lad_code"], "status"]
    assert sum(c["fair_share"] for c in out["councils"]) == pytest.approx(out["total"])
    # A blank is named, never 0: Salford gave no valid temporary-accommodation figure.
    salford = next(c for c in out["councils"] if c["lad_code"] == "E08000006")
    assert "homelessness" in salford["missing"]
    assert "homelessness_ta_rate_lad.csv" in salford["pressure_sources"]["homelessness"]


def test_no_pressures_gives_todays_population_shares(capsys: pytest.CaptureFixture[str], model) -> None:
    from geo import fair_share as fs
    from geo.measures import lad_table

    out = _run(capsys, "--region", "North West")
    table = lad_table(model, model.latest_period)
    today = fs.fair_shares(table, group="region")
    today = today[today["group"] == "North West"].set_index("lad_code")
    assert len(out["councils"]) == len(today)
    for c in out["councils"]:
        assert c["fair_share"] == pytest.approx(today.loc[c["lad_code"], "fair_share_people"], rel=1e-12)
        assert c["status"] == today.loc[c["lad_code"], "status"]
    assert out["total"] == pytest.approx(today["compared_people"].sum())


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fair-share", "--offline", "--region", "Atlantis", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no region or nation called 'Atlantis'") and "Traceback" not in err
    assert main(["fair-share", "--offline", "--uk", "--pressures", "crime=1", "--json"]) == 2
    assert "no indicator loaded for weight(s) crime" in capsys.readouterr().err
    assert main(["fair-share", "--offline", "--uk", "--period", "2001-03-31"]) == 2
    assert "not a loaded quarter" in capsys.readouterr().err


def test_partnership_indicators_file_is_weighted(capsys: pytest.CaptureFixture[str], tmp_path, model) -> None:
    table = place_share.area_rows(model, place_share.Request(area="North West", period=model.latest_period))
    codes = table["lad_code"].tolist()
    path = tmp_path / "nw.csv"
    rows = [f"{c},{'' if i == 0 else i % 7}" for i, c in enumerate(codes)]
    path.write_text("lad_code,cohesion\n" + "\n".join(rows) + "\n", encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps({"columns": {"cohesion": {
        "meaning": "community tension reports", "period": "2025", "source": "NW partnership",
        "higher_is_more_pressure": True}}}), encoding="utf-8")
    out = _run(capsys, "--region", "North West", "--pressures", "cohesion=0.2", "--indicators", str(path))
    first = next(c for c in out["councils"] if c["lad_code"] == codes[0])
    assert first["missing"][-1] == "cohesion" and first["pressure_sources"]["cohesion"] == "NW partnership (nw.csv)"
    assert pd.Series([c["pressure_index"] for c in out["councils"]]).abs().sum() > 0


def test_dispersed_only_shares_the_dispersed(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--region", "Wales", "--measure", "dispersed", "--pressures", "deprivation=0.2")
    assert out["total"] == pytest.approx(sum(c["dispersed"] for c in out["councils"] if c["population"]))
    assert sum(c["fair_share"] for c in out["councils"]) == pytest.approx(out["total"])
    # Outside England deprivation is the UK composite index (IoD 2025 covers England only).
    assert "uk_composite_imd_lad.csv" in out["councils"][0]["pressure_sources"]["deprivation"]
    assert "dispersed accommodation" in out["rule"]


def test_briefing_command_takes_the_weights_for_its_method_page(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from pdf_tools import pdf_text

    out = tmp_path / "wales.pdf"
    assert main(["briefing", "--region", "Wales", "--pressures", "none", "--offline", "--made-on", "2026-01-05",
                 "--out", str(out)]) == 0
    text = " ".join(pdf_text(out).split())
    assert "Place-based fair share: method" in text and "population only" in text
    assert main(["briefing", "--region", "Wales", "--pressures", "deprivation=x", "--offline",
                 "--out", str(out)]) == 2
    assert "not key=number" in capsys.readouterr().err


def test_a_suppressed_figure_keeps_its_marker(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--region", "London", "--pressures", "uasc=0.1")
    city = next(c for c in out["councils"] if c["lad_code"] == "E09000001")
    assert "uasc" in city["missing"] and city["markers"]["uasc"] == "c"  # DfE's 'suppressed', not 0
    assert city["values"]["uasc"] is None
