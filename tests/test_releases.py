"""New releases found on a local stand-in for GOV.UK's Content API, fetched, checked, loaded and diffed.

The attachment files are built here from the official files: a Reg_02 for a later quarter and an
Asy_D11-layout workbook that revises Glasgow's September 2024 figures. Expected figures are
computed from what the test built.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import ROOT, SHARED, needs_shared
from geo import releases, sources
from govuk_server import GovukServer

pytestmark = needs_shared
HOME = SHARED / "homeoffice"
REG02 = next(HOME.glob("reg02_supported_asylum_by_la_*.csv")) if HOME.is_dir() else None
D11 = next(HOME.glob("asylum-seekers-receipt-support-datasets-*.xlsx")) if HOME.is_dir() else None
NEW_REG02 = "reg02_supported_asylum_by_la_2026-03-31.csv"
NEW_D11 = "asylum-seekers-receipt-support-datasets-dec-2024.xlsx"
GLASGOW = "S12000049"
BUMP = 7


def later_reg02() -> pd.DataFrame:
    """Reg_02 moved to 31 March 2026, Glasgow with BUMP more people in dispersed accommodation."""
    frame = pd.read_csv(REG02)
    frame["as_at"] = "2026-03-31"
    glasgow = frame["lad_code"] == GLASGOW
    frame.loc[glasgow, ["dispersal_accommodation", "supported_asylum"]] += BUMP
    return frame


def revising_workbook() -> bytes:
    """The Asy_D11 layout, its last two quarters, Glasgow's Section 95 dispersed at Sep 2024 revised up."""
    raw = pd.read_excel(D11, sheet_name="Data - Asy_D11", header=None, engine="calamine")
    header_row = raw.index[raw[0].astype(str).str.startswith("Date")][0]
    header = raw.iloc[header_row].tolist()
    data = raw.iloc[header_row + 1:]
    data = data[data[0].isin(["30 Jun 2024", "30 Sep 2024"])].copy()
    hit = ((data[0] == "30 Sep 2024") & (data[4] == GLASGOW) & (data[1] == "Section 95")
           & (data[5] == "Dispersal Accommodation"))
    assert hit.sum() == 1
    data.loc[hit, 6] = int(data.loc[hit, 6].iloc[0]) + BUMP
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Data - Asy_D11")
    ws.append(["Asylum seekers in receipt of support, by local authority (revised)"])
    ws.append(header)
    for row in data.itertuples(index=False):
        ws.append([row[0], row[1], row[2], row[3], row[4], row[5], int(row[6])])
    ws.append(["End of table"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _serve(srv: GovukServer, reg02_bytes: bytes, workbook: bytes) -> None:
    registry = sources.load_registry()
    d11_page = registry["asy_d11"].landing_page.split("gov.uk", 1)[1]
    reg_page = registry["reg02"].landing_page.split("gov.uk", 1)[1]
    srv.page(d11_page, [
        srv.file(D11.name, D11.read_bytes(), "Asylum seekers in receipt of support (year ending September 2024)"),
        srv.file(NEW_D11, workbook,
                 "Asylum seekers in receipt of support detailed datasets, year ending December 2024"),
        srv.file("asylum-applications-datasets-dec-2024.xlsx", b"not ours", "Asylum applications"),
    ])
    srv.page(reg_page, [
        srv.file(NEW_REG02, reg02_bytes, "Regional and local authority data: immigration groups, 31 March 2026"),
        srv.file(REG02.name, REG02.read_bytes(),
                 "Regional and local authority data: immigration groups, 31 December 2025"),
    ])


def _run(args: list[str], base: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AAM_GOVUK_API": base, "AAM_CACHE_DIR": str(cache)}
    env.pop("AAM_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "geo", "releases", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built() -> tuple[bytes, bytes]:
    return later_reg02().to_csv(index=False).encode(), revising_workbook()


def test_check_lists_only_newer_files_of_our_sources(built, tmp_path):
    with GovukServer() as srv:
        _serve(srv, *built)
        out = _run(["check", "--json", "--cache-dir", str(tmp_path)], srv.base, tmp_path)
        assert out.returncode == 0, out.stderr
        assert any(p.startswith("/api/content/government/statistical-data-sets/") for p in srv.log)
    found = {r["filename"]: r for r in json.loads(out.stdout)["new"]}
    assert set(found) == {NEW_REG02, NEW_D11}
    reg = found[NEW_REG02]
    assert reg["source_id"] == "reg02" and reg["date"] == "2026-03-31"
    assert reg["url"].endswith(f"/media/test/{NEW_REG02}") and reg["title"].startswith("Regional")
    assert found[NEW_D11]["date"] == "2024-12-31"
    assert releases.last_check(tmp_path)["new"]


def test_fetch_loads_new_quarter_records_revisions_and_is_idempotent(built, tmp_path):
    with GovukServer() as srv:
        _serve(srv, *built)
        out = _run(["fetch", "--json", "--cache-dir", str(tmp_path)], srv.base, tmp_path)
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        again = _run(["fetch", "--json", "--cache-dir", str(tmp_path)], srv.base, tmp_path)
        assert again.returncode == 0, again.stderr
    assert sorted(r["filename"] for r in result["fetched"]) == sorted([NEW_REG02, NEW_D11])
    assert result["latest_period"] == "2026-03-31"
    assert result["loaded"]["reg02"] == NEW_REG02 and result["loaded"]["asy_d11"] == NEW_D11
    assert (tmp_path / "downloads" / "homeoffice" / NEW_REG02).is_file()
    revised = pd.DataFrame(result["revisions"])
    glasgow = revised[revised["lad_code"] == GLASGOW].set_index("measure")
    assert set(glasgow["quarter"]) == {"2024-09-30"}
    assert glasgow.at["dispersed accommodation", "now"] - glasgow.at["dispersed accommodation", "was"] == BUMP
    assert glasgow.at["people supported", "now"] - glasgow.at["people supported", "was"] == BUMP
    assert (revised["release"] == NEW_D11).all() and len(revised) == len(glasgow)
    assert json.loads(again.stdout)["fetched"] == []  # nothing new the second time
    assert len(releases.saved_revisions(tmp_path)) == len(revised)

    from geo.measures import headline
    from geo.model import load_model

    model = load_model(cache=tmp_path, allow_download=False)
    assert model.period_source("2026-03-31") == "reg02"
    assert headline(model, "2026-03-31")["supported"].value == later_reg02()["supported_asylum"].sum()


def test_a_bad_release_loads_nothing_and_says_where(built, tmp_path):
    bad = later_reg02().astype({"population": str})
    bad.loc[3, "population"] = "12,3x"
    with GovukServer() as srv:
        _serve(srv, bad.to_csv(index=False).encode(), built[1])
        out = _run(["fetch", "--cache-dir", str(tmp_path)], srv.base, tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    line = out.stderr.strip()
    assert "\n" not in line and NEW_REG02 in line and "row 5" in line and "population" in line
    assert not (tmp_path / "downloads" / "homeoffice").exists() or not any(
        (tmp_path / "downloads" / "homeoffice").iterdir())


def test_diff_lists_revisions_between_two_files(built, tmp_path):
    new = tmp_path / NEW_D11
    new.write_bytes(built[1])
    out = subprocess.run([sys.executable, "-m", "geo", "releases", "diff", str(D11), str(new), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = pd.DataFrame(json.loads(out.stdout)["revisions"])
    assert list(rows.columns) == ["quarter", "lad_code", "authority", "measure", "was", "now", "release"]
    assert set(rows["authority"]) == {"Glasgow City"} and set(rows["quarter"]) == {"2024-09-30"}
    assert (rows["now"] - rows["was"] == BUMP).all()
    # a later Reg_02 revises nothing: it covers a quarter the old one does not
    later = tmp_path / NEW_REG02
    later_reg02().to_csv(later, index=False)
    assert releases.diff(REG02, later).empty


def test_release_dates_from_file_names():
    assert str(releases.release_date("asylum-seekers-receipt-support-datasets-sep-2024.xlsx")) == "2024-09-30"
    assert str(releases.release_date("reg02_supported_asylum_by_la_2025-12-31.csv")) == "2025-12-31"
    assert str(releases.release_date("supported_asylum_by_la_quarterly_2014-2025.csv")) == "2025-12-31"


def test_unreachable_api_is_one_line(tmp_path):
    out = _run(["check", "--cache-dir", str(tmp_path)], "http://127.0.0.1:8649", tmp_path)  # nothing listens
    assert out.returncode == 2 and "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]  # retries are logged above
    assert len(errors) == 1 and "127.0.0.1:8649" in errors[0]
