"""Readers for the pressure files and a partnership's own indicators (issue 25)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import needs_shared
from geo import pressures as P
from geo import sources
from geo.errors import DataError

SHARED_PRESSURES = sources.SHARED_DATA / "pressures"


def _write(tmp_path: Path, csv: str, sidecar: dict | None) -> Path:
    path = tmp_path / "indicators.csv"
    path.write_text(csv, encoding="utf-8")
    if sidecar is not None:
        (tmp_path / "indicators.json").write_text(json.dumps(sidecar), encoding="utf-8")
    return path


SIDE = {"columns": {
    "cohesion": {"meaning": "community tension reports per 1,000", "period": "2025-26", "source": "Partnership",
                 "higher_is_more_pressure": True},
    "gp_access": {"meaning": "share of patients able to register", "period": "2025", "source": "ICB",
                  "higher_is_more_pressure": False},
}}


def test_partnership_file_reads_with_its_sidecar(tmp_path: Path) -> None:
    path = _write(tmp_path, "lad_code,lad_name,cohesion,gp_access\nE06000001,A,2.5,0.9\nE06000002,B,,0.8\n"
                            "E06000003,C,c,0.95\n", SIDE)
    found = {i.key: i for i in P.read_partnership(path)}
    assert set(found) == {"cohesion", "gp_access"}
    assert found["cohesion"].value("E06000001") == 2.5
    assert math.isnan(found["cohesion"].value("E06000002"))  # blank = missing, never 0
    assert math.isnan(found["cohesion"].value("E06000003")) and found["cohesion"].markers["E06000003"] == "c"
    assert found["gp_access"].higher_is_more_pressure is False
    assert found["gp_access"].source == "ICB (indicators.csv)"


@pytest.mark.parametrize(("csv", "sidecar", "message"), [
    ("lad_code,cohesion,gp_access\nE06000001,2,1\nE06000001,3,1\n", SIDE,
     "file indicators.csv, row 3, column 'lad_code': E06000001 appears twice"),
    ("lad_code,cohesion,gp_access\nE06000001,2,1\nLeeds,3,1\n", SIDE,
     "file indicators.csv, row 3, column 'lad_code': 'Leeds' is not a local authority code"),
    ("lad_code,cohesion,gp_access\nE06000001,2,1\nE06000002,high,1\n", SIDE,
     "file indicators.csv, row 3, column 'cohesion': 'high' is not a number"),
    ("lad_code,cohesion,gp_access,crime\nE06000001,2,1,4\n", SIDE,
     "file indicators.csv, row 1, column 'crime': the sidecar indicators.json does not describe this column"),
    ("lad_code,cohesion\nE06000001,2\n", SIDE,
     "file indicators.json, column 'gp_access': described in the sidecar but not a column"),
    ("code,cohesion,gp_access\nE06000001,2,1\n", SIDE, "row 1, column 'lad_code': no 'lad_code' column"),
    ("lad_code,cohesion,gp_access\nE06000001,2,1\n", None, "no sidecar indicators.json"),
    ("lad_code,cohesion,gp_access\nE06000001,2,1\n",
     {"columns": {"cohesion": {"meaning": "m", "period": "p", "source": "s"},
                  "gp_access": SIDE["columns"]["gp_access"]}},
     "file indicators.json, column 'cohesion': missing 'higher_is_more_pressure'"),
    ("lad_code,deprivation\nE06000001,2\n",
     {"columns": {"deprivation": SIDE["columns"]["cohesion"]}}, "is a published pressure's key"),
])
def test_partnership_file_errors_name_file_row_and_column(tmp_path: Path, csv: str, sidecar: dict | None,
                                                          message: str) -> None:
    path = _write(tmp_path, csv, sidecar)
    with pytest.raises(DataError) as err:
        P.read_partnership(path)
    assert message in str(err.value)


def test_published_reader_refuses_text_naming_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "homelessness_ta_rate_lad.csv"
    path.write_text("lad_code,lad_name,ta_households_per_1000_households,period\n"
                    "E06000001,A,1.5,2023\nE06000002,B,lots,2023\n", encoding="utf-8")
    spec = P.PUBLISHED["homelessness"]
    prov = sources.Provenance(source_id=spec.source_id, title="t", publisher="MHCLG", licence="OGL", release="r",
                              path=str(path), file_name=path.name, origin="data-dir", sha256="0", size_bytes=1,
                              url=None)
    with pytest.raises(DataError, match=r"row 3, column 'ta_households_per_1000_households': 'lots'"):
        P.read_published(spec, prov)


def test_every_pressure_file_is_registered_with_provenance() -> None:
    registry = sources.load_registry()
    ids = {P.DEPRIVATION_ENGLAND.source_id, P.DEPRIVATION_UK.source_id,
           *(s.source_id for s in P.PUBLISHED.values())}
    for sid in ids:
        src = registry[sid]
        assert src.subdir == "pressures" and not src.required
        assert src.publisher and src.licence and src.release and src.pin(src.local_names[0])
    assert "CC BY 4.0" in registry["uk_composite_imd"].licence
    assert "lower bound" in registry["resettlement_lad"].release


@needs_shared
def test_published_files_read_with_blanks_as_missing() -> None:
    provenance = P.resolve_pressures()
    england = ["E06000001", "E08000003"]
    found, absent = P.published_indicators(provenance, england)
    by_key = {i.key: i for i in found}
    assert not absent and set(by_key) == set(P.PRESSURE_KEYS)
    assert by_key["deprivation"].label.endswith("(English IoD 2025)")
    assert by_key["deprivation"].value("E06000001") == pytest.approx(37.58)  # Hartlepool's published score
    # Salford (E08000006) did not provide valid TA data: blank in the file, missing here.
    assert math.isnan(by_key["homelessness"].value("E08000006"))
    # City of London's UASC figure is suppressed ("c"): missing with its marker.
    assert math.isnan(by_key["uasc"].value("E09000001")) and by_key["uasc"].markers["E09000001"] == "c"
    # Outside England deprivation comes from the UK composite index, which covers all 361 councils.
    uk, _ = P.published_indicators(provenance, ["W06000001", "E06000001"], keys=("deprivation",))
    assert uk[0].label.endswith("(UK composite index)") and uk[0].values.notna().sum() == 361
    assert "mySociety" in uk[0].source


def test_an_upload_is_saved_where_the_reader_finds_it(tmp_path: Path) -> None:
    from ui.pressure_share import save_upload

    csv = b"lad_code,cohesion\nE06000001,2\nE06000002,bad\n"
    side = json.dumps({"columns": {"cohesion": SIDE["columns"]["cohesion"]}}).encode()
    path = save_upload([("North West (v2).csv", csv), ("whatever.json", side)], root=tmp_path)
    assert path.name == "North_West__v2_.csv" and path.with_suffix(".json").read_bytes() == side
    assert save_upload([("North West (v2).csv", csv), ("x.json", side)], root=tmp_path) == path  # same content
    with pytest.raises(DataError, match=r"North_West__v2_.csv, row 3, column 'cohesion': 'bad' is not a number"):
        P.read_partnership(path)
    with pytest.raises(DataError, match="one CSV of indicators and its JSON sidecar"):
        save_upload([("a.csv", csv)], root=tmp_path)
