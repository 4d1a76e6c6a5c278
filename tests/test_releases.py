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
from geo import govuk, releases, sources
from govuk_server import GovukServer
from ods_fixture import newer_edition

pytestmark = needs_shared
HOME = SHARED / "homeoffice"
REG02 = HOME / "regional-and-local-authority-dataset-dec-2025.ods"
D11 = HOME / "support-local-authority-datasets-sep-2024.xlsx"
NEW_REG02 = "regional-and-local-authority-dataset-mar-2026.ods"
NEW_D11 = "support-local-authority-datasets-dec-2024.xlsx"
ASY_D09 = "asylum-seekers-receipt-support-datasets-dec-2024.xlsx"  # on GOV.UK: Asy_D09, by nationality
GLASGOW = "S12000049"
BUMP = 7


def later_reg02(folder: Path, **change) -> Path:
    """Reg_02 moved to 31 March 2026, Glasgow with BUMP more people in dispersed accommodation."""
    return newer_edition(REG02, folder / NEW_REG02, when="31 March 2026", bump={GLASGOW: BUMP}, **change)


def asy_d09() -> bytes:
    """An Asy_D09 workbook as GOV.UK lays it out (support by nationality, no local authorities)."""
    wb = openpyxl.Workbook()
    wb.active.title = "Cover_sheet"
    ws = wb.create_sheet("Data_Asy_D09")
    ws.append(["Date", "Nationality", "Support Type", "Accommodation Type", "People"])
    ws.append(["31 Dec 2024", "Afghanistan", "Section 95", "Dispersal Accommodation", 10])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def revising_workbook() -> bytes:
    """The Asy_D11 layout, its last two quarters, Glasgow's Section 95 dispersed at Sep 2024 revised up."""
    raw = pd.read_excel(D11, sheet_name="Data_Asy_D11", header=None, engine="calamine")
    header_row = raw.index[raw[0].astype(str).str.startswith("Date")][0]
    header = raw.iloc[header_row].tolist()
    data = raw.iloc[header_row + 1:]
    data = data[data[0].isin(["30 Jun 2024", "30 Sep 2024"])].copy()
    hit = ((data[0] == "30 Sep 2024") & (data[4] == GLASGOW) & (data[1] == "Section 95")
           & (data[5] == "Dispersal Accommodation"))
    assert hit.sum() == 1
    data.loc[hit, 6] = int(data.loc[hit, 6].iloc[0]) + BUMP
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Data_Asy_D11")
    ws.append(["Data_Asy_D11: Asylum seekers in receipt of support, by local authority (revised)"])
    ws.append(header)
    for row in data.itertuples(index=False):
        ws.append([row[0], row[1], row[2], row[3], row[4], row[5], int(row[6])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def revising_workbook_rows() -> int:
    """People supported at 30 September 2024 in the published Asy_D11 (before the revision)."""
    raw = pd.read_excel(D11, sheet_name="Data_Asy_D11", header=1, engine="calamine")
    return int(raw.loc[raw["Date (as at…)"] == "30 Sep 2024", "People"].sum())


def _serve(srv: GovukServer, reg02_bytes: bytes, workbook: bytes) -> None:
    registry = sources.load_registry()
    d11_page = registry["asy_d11"].landing_page.split("gov.uk", 1)[1]
    reg_page = registry["reg02"].landing_page.split("gov.uk", 1)[1]
    srv.page(d11_page, [
        srv.file(D11.name, D11.read_bytes(), "Asylum seekers in receipt of support by local authority"),
        srv.file(NEW_D11, workbook,
                 "Asylum seekers in receipt of support by local authority, year ending December 2024"),
        srv.file(ASY_D09, asy_d09(), "Asylum seekers in receipt of support detailed datasets"),
        srv.file("asylum-applications-datasets-dec-2024.xlsx", b"not ours", "Asylum applications"),
    ])
    srv.page(reg_page, [
        srv.file(NEW_REG02, reg02_bytes, "Regional and local authority data: immigration groups, 31 March 2026"),
        srv.file(REG02.name, REG02.read_bytes(),
                 "Regional and local authority data: immigration groups, 31 December 2025"),
    ])


def _run(args: list[str], base: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AAM_GOVUK_API": base, govuk.ASSETS_ENV: base, "AAM_CACHE_DIR": str(cache)}
    env.pop("AAM_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "geo", "releases", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[bytes, bytes]:
    return later_reg02(tmp_path_factory.mktemp("later")).read_bytes(), revising_workbook()


def test_check_lists_only_newer_files_of_our_sources(built, tmp_path):
    with GovukServer() as srv:
        _serve(srv, *built)
        out = _run(["check", "--json", "--cache-dir", str(tmp_path)], srv.base, tmp_path)
        assert out.returncode == 0, out.stderr
        assert any(p.startswith("/api/content/government/statistical-data-sets/") for p in srv.log)
    found = {r["filename"]: r for r in json.loads(out.stdout)["new"]}
    assert set(found) == {NEW_REG02, NEW_D11}  # never the Asy_D09 file, nor the page's older files
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
    assert model.latest_period == pd.Timestamp("2026-03-31")  # the app opens at the fetched quarter
    assert model.period_source("2026-03-31") == "reg02" and model.period_source("2025-12-31") == "reg02"
    expected = pd.read_excel(tmp_path / "downloads" / "homeoffice" / NEW_REG02, sheet_name="Reg_02", header=1,
                             engine="calamine")["Supported Asylum (total) (population)"]
    assert headline(model, "2026-03-31")["supported"].value == int(pd.to_numeric(expected, errors="coerce").sum())
    assert headline(model, "2026-03-31")["supported"].value == headline(model, "2025-12-31")["supported"].value + BUMP
    assert [e.file_name for e in model.editions["reg02"]] == [REG02.name, NEW_REG02]
    # Asy_D11's newer edition revises September 2024 and speaks for it; older quarters stay with the first
    assert [e.file_name for e in model.editions["asy_d11"]] == [D11.name, NEW_D11]
    before = revising_workbook_rows()
    assert headline(model, "2024-09-30")["supported"].value == before + BUMP
    assert set(model.by_source["asy_d11"].loc[model.by_source["asy_d11"]["period"] == "2024-09-30", "file"]) == {
        NEW_D11}


def test_a_bad_release_loads_nothing_and_says_where(built, tmp_path):
    bad = later_reg02(tmp_path / "bad", cell=("E08000025", "Population", "12,3x"))  # Birmingham, row 4
    with GovukServer() as srv:
        _serve(srv, bad.read_bytes(), built[1])
        out = _run(["fetch", "--cache-dir", str(tmp_path)], srv.base, tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    line = out.stderr.strip()
    assert "\n" not in line and NEW_REG02 in line and "row 4" in line and "Population" in line
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
    assert releases.diff(REG02, later_reg02(tmp_path)).empty


def test_release_dates_from_file_names():
    assert str(releases.release_date("support-local-authority-datasets-sep-2024.xlsx")) == "2024-09-30"
    assert str(releases.release_date("regional-and-local-authority-dataset-dec-2025.ods")) == "2025-12-31"
    assert str(releases.release_date("regional-and-local-authority-dataset-feb-2024.ods")) == "2024-02-29"
    assert str(releases.release_date("a_2025-12-31.csv")) == "2025-12-31"
    assert str(releases.release_date("a_2014-2025.csv")) == "2025-12-31"


def test_unreachable_api_is_one_line(tmp_path):
    out = _run(["check", "--cache-dir", str(tmp_path)], "http://127.0.0.1:8649", tmp_path)  # nothing listens
    assert out.returncode == 2 and "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]  # retries are logged above
    assert len(errors) == 1 and "127.0.0.1:8649" in errors[0]


def test_an_api_file_name_is_never_a_path(tmp_path, monkeypatch):
    """Issue 24 finding 5: a `filename` containing ../ wrote a file outside the cache."""
    with GovukServer() as srv:
        item = srv.file(NEW_REG02, (tmp_path / "x").write_bytes(b"") or b"", "Regional")
        item["filename"] = f"../../../{NEW_REG02}"
        escaped = {**srv.file("b.ods", b"", "B"), "filename": "..%2F..%2Fb.ods"}
        srv.page("/government/statistical-data-sets/x", [item, escaped])
        monkeypatch.setenv(govuk.ASSETS_ENV, srv.base)
        listed = govuk.attachments("/government/statistical-data-sets/x", base=srv.base)
    assert [a.filename for a in listed] == [NEW_REG02, "b.ods"]


def test_attachments_off_the_asset_host_are_left_out(tmp_path, monkeypatch):
    """Issue 24 finding 5: attachment URLs were not pinned to GOV.UK's asset host."""
    with GovukServer() as srv:
        good = srv.file(NEW_REG02, b"", "Regional")
        elsewhere = {**good, "filename": "other.ods", "url": "http://evil.example/media/other.ods"}
        srv.page("/government/statistical-data-sets/x", [good, elsewhere])
        listed = govuk.attachments("/government/statistical-data-sets/x", base=srv.base)
        assert listed == []  # by default only https://assets.publishing.service.gov.uk is trusted
        monkeypatch.setenv(govuk.ASSETS_ENV, srv.base)
        listed = govuk.attachments("/government/statistical-data-sets/x", base=srv.base)
    assert [a.filename for a in listed] == [NEW_REG02]
    monkeypatch.delenv(govuk.ASSETS_ENV)
    assert govuk.on_asset_host("https://assets.publishing.service.gov.uk/media/abc/x.ods")
    assert not govuk.on_asset_host("https://assets.publishing.service.gov.uk.evil.example/x.ods")
    assert not govuk.on_asset_host("https://user@assets.publishing.service.gov.uk/x.ods")
