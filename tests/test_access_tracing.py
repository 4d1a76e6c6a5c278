"""Exports carry who made them: an ID in each format (visible on PNG and PDF pages), an audit row
with the checksum, and ``audit trace`` finds the member by the ID or, when it was stripped, by checksum."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from access_fixtures import ANALYST_A, OFFICER_A, two_councils
from fixtures_sites import LAD_A

pytestmark = pytest.mark.usefixtures("store_backend_module")  # on SQLite and on PostgreSQL (pg_server.py)

ROOT = Path(__file__).resolve().parents[1]


def _who(db: Path, email: str):
    from geo.access.identity import member_for

    return member_for(db, email, has_provider=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory, store_backend_module):
    return two_councils(tmp_path_factory.mktemp("tracing"))


@pytest.fixture(scope="module")
def sites(store):
    from geo.access.scope import visible_sites

    return visible_sites(_who(store.db, ANALYST_A), store.db, selection={"test": "tracing"})


def _files(sites) -> dict[str, bytes]:
    """One file per format, made the way the app makes them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from openpyxl import Workbook

    from geo.sites.export import sites_csv, sites_geojson

    out = {"csv": sites_csv(sites).encode("utf-8"), "geojson": sites_geojson(sites).encode("utf-8")}
    book = Workbook()
    sheet = book.active
    sheet.append(["reference", "people"])
    for ref, people in zip(sites["reference"], sites["people"], strict=True):
        sheet.append([ref, int(people)])
    buf = io.BytesIO()
    book.save(buf)
    out["xlsx"] = buf.getvalue()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sites.gpkg"
        sites[["reference", "people", "geometry"]].to_file(path, driver="GPKG", layer="sites")
        out["gpkg"] = path.read_bytes()
    for fmt in ("png", "pdf", "svg"):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.scatter(sites["longitude"], sites["latitude"], c=["#d4351c"] * len(sites))
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=100)
        plt.close(fig)
        out[fmt] = buf.getvalue()
    return out


def _strip(data: bytes, fmt: str) -> bytes:
    """Remove the embedded ID the way someone hiding it would."""
    if fmt == "csv":
        return b"".join(data.splitlines(keepends=True)[1:])
    if fmt == "geojson":
        doc = json.loads(data)
        doc.pop("aam_export")
        return json.dumps(doc, indent=1).encode()
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        book.properties.identifier = book.properties.description = book.properties.keywords = None
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    if fmt == "gpkg":
        import sqlite3
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "x.gpkg"
            path.write_bytes(data)
            conn = sqlite3.connect(path)
            conn.execute("DROP TABLE aam_export")
            conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'aam_export'")
            conn.commit()
            conn.execute("VACUUM")
            conn.close()
            return path.read_bytes()
    if fmt == "png":
        from PIL import Image

        buf = io.BytesIO()
        Image.open(io.BytesIO(data)).save(buf, format="PNG")  # no text chunks
        return buf.getvalue()
    if fmt == "pdf":
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.metadata = None
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()
    if fmt == "svg":
        import re

        data = re.sub(rb'<metadata id="aam_export">.*?</metadata>', b"", data, flags=re.S)
        return re.sub(rb'<text id="aam_export-line".*?</text>', b"", data, flags=re.S)
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg", "png", "pdf", "svg"])
def test_an_export_is_traced_to_its_member_by_id_and_by_checksum(store, sites, fmt: str, tmp_path: Path) -> None:
    from geo.access import audit
    from geo.access.tracing import embedded_id, sha256, stamp_export, trace

    analyst = _who(store.db, ANALYST_A)
    raw = _files(sites)[fmt]
    selection = {"page": "sites", "lad": LAD_A, "format": fmt}
    out = stamp_export(store.db, analyst, raw, fmt, selection=selection, rows=len(sites), site_level=True)
    found = trace(out, store.db)
    assert found["found_by"] == "id" and found["member"] == ANALYST_A and found["organisation"] == LAD_A
    assert found["selection"] == selection and found["rows"] == len(sites)
    logged = audit.read(store.db, action="export")[-1]
    assert found["export_id"] in logged["detail"] and sha256(out) in logged["detail"]

    stripped = _strip(out, fmt)
    if fmt == "pdf":  # the visible footer line's text still carries the ID
        assert embedded_id(stripped) == found["export_id"]
    else:
        assert embedded_id(stripped) is None
        again = trace(stripped, store.db)
        assert again["export_id"] == found["export_id"] and again["found_by"] in ("checksum", "content checksum")

    path = tmp_path / f"found.{fmt}"
    path.write_bytes(stripped)
    done = subprocess.run([sys.executable, "-m", "geo", "audit", "trace", str(path), "--db", str(store.db), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["member"] == ANALYST_A


def test_png_and_pdf_show_the_stamp_on_the_page(store, sites) -> None:
    from PIL import Image
    from pypdf import PdfReader

    from geo.access.tracing import stamp_export

    analyst = _who(store.db, ANALYST_A)
    files = _files(sites)
    png = stamp_export(store.db, analyst, files["png"], "png", site_level=True)
    before, after = Image.open(io.BytesIO(files["png"])), Image.open(io.BytesIO(png))
    assert after.height > before.height  # a footer strip was added under the picture
    strip = after.convert("L").crop((0, before.height, after.width, after.height))
    assert strip.getextrema()[0] < 100  # dark text drawn in it
    pdf = stamp_export(store.db, analyst, files["pdf"], "pdf", site_level=True)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"by {ANALYST_A} ({LAD_A})" in text


def test_illustrative_exports_say_so(store, sites) -> None:
    from geo.access.tracing import ILLUSTRATIVE, stamp_export

    out = stamp_export(store.db, _who(store.db, ANALYST_A), _files(sites)["csv"], "csv", site_level=True,
                       illustrative=True)
    assert out.splitlines()[0].decode().startswith("# aam-export " + ILLUSTRATIVE)


def test_officers_may_not_export_site_level_data_and_the_refusal_is_logged(store, sites) -> None:
    from geo.access import audit
    from geo.access.members import AccessDenied
    from geo.access.tracing import stamp_export

    with pytest.raises(AccessDenied):
        stamp_export(store.db, _who(store.db, OFFICER_A), _files(sites)["csv"], "csv", site_level=True)
    assert '"export"' in audit.read(store.db, member=OFFICER_A, action="refused")[-1]["detail"]


def test_the_projects_reader_skips_the_stamp_line(store, sites, tmp_path: Path) -> None:
    from geo.access.tracing import stamp_export
    from geo.sites.readers import read_table

    plain = tmp_path / "plain.csv"
    plain.write_bytes(_files(sites)["csv"])
    stamped = tmp_path / "stamped.csv"
    stamped.write_bytes(stamp_export(store.db, _who(store.db, ANALYST_A), plain.read_bytes(), "csv",
                                     site_level=True))
    a, b = read_table(plain), read_table(stamped)
    assert list(a.columns) == list(b.columns)
    assert a.drop(columns="_source_row").equals(b.drop(columns="_source_row"))


def test_a_stripped_copy_of_content_two_members_exported_names_both(store, sites, tmp_path: Path) -> None:
    """Finding 6: a stripped copy was traced to one member, with no word of the other who exported it."""
    from access_fixtures import ADMIN_A
    from geo.access.tracing import stamp_export, trace

    raw = _files(sites)["csv"] + b"two-members\r\n"  # content no other test exports
    first = stamp_export(store.db, _who(store.db, ANALYST_A), raw, "csv", site_level=True)
    stamp_export(store.db, _who(store.db, ADMIN_A), raw, "csv", site_level=True)
    found = trace(_strip(first, "csv"), store.db)
    assert found["ambiguous"] and found["found_by"] == "content checksum"
    assert {c["member"] for c in found["candidates"]} == {ANALYST_A, ADMIN_A}
    path = tmp_path / "found.csv"
    path.write_bytes(_strip(first, "csv"))
    done = subprocess.run([sys.executable, "-m", "geo", "audit", "trace", str(path), "--db", str(store.db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "cannot say which" in done.stdout and ANALYST_A in done.stdout and ADMIN_A in done.stdout
    assert trace(first, store.db)["ambiguous"] is False  # with its ID it is one export


def test_a_resaved_copy_still_traces(store, sites) -> None:
    """Finding 6: converting CRLF to LF (or an editor trimming lines) defeated the checksum trace."""
    from geo.access.tracing import stamp_export, trace

    out = stamp_export(store.db, _who(store.db, ANALYST_A), _files(sites)["csv"] + b"resaved\r\n", "csv",
                       site_level=True)
    assert b"\r\n" in out
    resaved = _strip(out, "csv").replace(b"\r\n", b"\n").replace(b"\n", b"  \n") + b"\n\n"
    found = trace(resaved, store.db)
    assert found["member"] == ANALYST_A and found["found_by"] == "content checksum" and not found["ambiguous"]
    svg = stamp_export(store.db, _who(store.db, ANALYST_A), _files(sites)["svg"], "svg", site_level=True)
    assert trace(_strip(svg, "svg").replace(b"\n", b"\r\n"), store.db)["found_by"] == "content checksum"
