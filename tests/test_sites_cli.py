"""The ``sites`` command line gives what the library gives (geo.commands.sites, python -m geo sites)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fixtures_sites import LAD_A, ROOT, good_rows, ward_layer, write_csv
from geo.commands import sites as cli
from geo.errors import DataError
from geo.sites.importer import import_sites
from geo.sites.sample import ILLUSTRATIVE

HAS_MAIN = (ROOT / "geo" / "__main__.py").is_file()


def _messy_file(tmp_path: Path) -> Path:
    rows = good_rows() + [
        ["B1", "Flat", "", "", 52.05, -1.95, 2, -1, "Open", "", "", "", ""],
        ["B2", "Dispersed", "", "AB1 2CD", "", "", 3, 2, "Open", "", "", "", ""],
        ["B3", "Dispersed", "", "ZZ9 9ZZ", "", "", 3, 2, "Open", "", "", "", ""],
    ]
    return write_csv(tmp_path / "council sites.csv", rows)


def _run(argv: list[str], capsys) -> str:
    assert cli.main(argv) == 0
    return capsys.readouterr().out


def test_cli_import_json_equals_the_function(tmp_path: Path, wards_file: Path, nspl: Path, capsys) -> None:
    path = _messy_file(tmp_path)
    printed = json.loads(_run(["sites", "import", str(path), "--db", str(tmp_path / "cli.sqlite"), "--json",
                               "--wards", str(wards_file), "--postcodes", str(nspl)], capsys))
    direct = import_sites(path, tmp_path / "lib.sqlite", ward_layer(), postcode_directory=nspl).to_dict()
    assert printed == direct
    assert set(printed) == {"read", "accepted", "rejected", "batch", "duplicate", "rejections"}
    assert (printed["read"], printed["accepted"], printed["rejected"]) == (8, 6, 2)
    assert printed["rejections"][-1] == {"row": 9, "column": "Post Code", "reason": "postcode 'ZZ9 9ZZ' not found"}
    again = json.loads(_run(["sites", "import", str(path), "--db", str(tmp_path / "cli.sqlite"), "--json",
                             "--wards", str(wards_file), "--postcodes", str(nspl)], capsys))
    assert again == printed | {"duplicate": True}


def test_cli_export_batches_rejections(tmp_path: Path, wards_file: Path, capsys) -> None:
    db = str(tmp_path / "s.sqlite")
    _run(["sites", "import", str(_messy_file(tmp_path)), "--db", db, "--wards", str(wards_file),
          "--as-at", "2024-03-31", "--imported-by", "officer"], capsys)
    exported = _run(["sites", "export", "--db", db, "--format", "csv"], capsys)
    assert exported.startswith("# aam-export Export AAM-")  # the stamp line (geo.access.tracing)
    table = pd.read_csv(io.StringIO(exported), skiprows=1)
    assert len(table) == 5 and {"ward_code", "lad_code", "in_boundary"} <= set(table.columns)
    assert table.set_index("reference").loc["H1", "lad_code"] == LAD_A
    geo = json.loads(_run(["sites", "export", "--db", db, "--format", "geojson"], capsys))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 5
    assert {f["properties"]["reference"] for f in geo["features"]} == set(table["reference"])
    assert geo["features"][0]["properties"]["ward_code"]
    past = _run(["sites", "export", "--db", db, "--format", "csv", "--as-at", "01/01/2024"], capsys)
    assert past.strip().count("\n") == 1                           # stamp and header only: nothing known then
    batches = json.loads(_run(["sites", "batches", "--db", db, "--json"], capsys))
    assert [(b["id"], b["imported_by"], b["data_as_at"], b["rejected"]) for b in batches] == [
        (1, "officer", "2024-03-31", 3)]
    rejected = pd.read_csv(io.StringIO(_run(["sites", "rejections", "--db", db, "--batch", "1"], capsys)))
    assert rejected["row"].tolist() == [7, 8, 9] and list(rejected.columns[:3]) == ["row", "column", "reason"]


def test_cli_errors_are_geo_errors(tmp_path: Path, wards_file: Path) -> None:
    with pytest.raises(DataError, match="no site store"):
        cli.main(["sites", "batches", "--db", str(tmp_path / "none.sqlite")])
    with pytest.raises(DataError, match="file not found"):
        cli.main(["sites", "import", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.sqlite"),
                  "--wards", str(wards_file)])
    with pytest.raises(DataError, match="FIELD=COLUMN"):
        cli.main(["sites", "import", str(_messy_file(tmp_path)), "--db", str(tmp_path / "s.sqlite"),
                  "--wards", str(wards_file), "--map", "people"])


def test_cli_sample(tmp_path: Path, wards_file: Path, capsys) -> None:
    totals = write_csv(tmp_path / "totals.csv", [["lad_code", "dispersed_people", "hotel_people"],
                                                 [LAD_A, 25, 90]])
    out = _run(["sites", "sample", "--out", str(tmp_path / "demo.csv"), "--lads", LAD_A, "--seed", "2",
                "--messy", "--wards", str(wards_file), "--totals", str(totals)], capsys).strip()
    written = Path(out)
    assert written.is_file() and written.name.startswith(ILLUSTRATIVE)
    frame = pd.read_csv(written, dtype=str)
    assert frame["Notes"].str.contains(ILLUSTRATIVE).all() and frame["Site ID"].str.startswith("MESSY").sum() == 4


@pytest.mark.skipif(not HAS_MAIN, reason="geo/__main__.py not written yet")
def test_python_m_geo_sites_import_matches(tmp_path: Path, wards_file: Path, nspl: Path) -> None:
    path = _messy_file(tmp_path)
    argv = [sys.executable, "-m", "geo", "sites", "import", str(path), "--db", str(tmp_path / "cli.sqlite"),
            "--json", "--wards", str(wards_file), "--postcodes", str(nspl)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    direct = import_sites(path, tmp_path / "lib.sqlite", ward_layer(), postcode_directory=nspl).to_dict()
    assert json.loads(done.stdout) == direct


def test_what_the_reader_guessed_reaches_the_person(tmp_path: Path, wards_file: Path, capsys) -> None:
    """Regression: a file in Windows-1252 was read as a guess and the guess was kept in the frame's
    attrs, where no one saw it; a streamed CSV did not even record it. Now the import result, the
    command line (on stderr, so --json stays the contract) and the app's message all say it."""
    from ui.sites import import_message

    rows = good_rows()
    rows[1][2] = "Hôtel Café"
    path = write_csv(tmp_path / "latin.csv", rows, encoding="cp1252")
    result = import_sites(path, tmp_path / "lib.sqlite", ward_layer())
    assert result.accepted == 5
    assert len(result.warnings) == 1 and "cp1252" in result.warnings[0] and "latin.csv" in result.warnings[0]
    kind, sentence = import_message(result)
    assert kind == "warning" and "a guess" in sentence
    assert cli.main(["sites", "import", str(path), "--db", str(tmp_path / "cli.sqlite"), "--json",
                     "--wards", str(wards_file)]) == 0
    out = capsys.readouterr()
    assert set(json.loads(out.out)) == {"read", "accepted", "rejected", "batch", "duplicate", "rejections"}
    assert "warning: latin.csv is not UTF-8 or UTF-16; read as cp1252" in out.err
    clean = import_sites(write_csv(tmp_path / "utf8.csv", good_rows()), tmp_path / "lib2.sqlite", ward_layer())
    assert clean.warnings == [] and import_message(clean)[0] == "success"
