"""Issue 27: the Export panel's files as a person receives them (briefing pack, table CSV, names)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, two_councils


@pytest.fixture
def store(tmp_path: Path):
    return two_councils(tmp_path)


def test_the_briefing_pack_button_stamps_and_traces_its_pdf(store, monkeypatch) -> None:
    """Finding 1: the pack's download called stamp_files with request.fmt, which BriefingRequest lacked."""
    import streamlit as st

    from geo.access.identity import member_for
    from geo.access.tracing import trace
    from ui import exports as ER
    from ui import routing

    st.session_state[routing.ROUTED_KEY] = True  # imported outside a page run: nothing to route through
    from ui.export_panel import _traced

    monkeypatch.setenv("AAM_SITES_DB", str(store.db))
    request = ER.BriefingRequest(period="2025-12-31", made_on=date(2026, 1, 5), lad_code="E08000012",
                                 lad_name="Liverpool")
    pdf = _minimal_pdf()
    out = _traced({request.file_name: pdf}, request, (), member_for(store.db, ADMIN_A, has_provider=False))
    made = out[request.file_name]
    assert made.startswith(b"%PDF") and made != pdf
    assert trace(made, store.db)["member"] == ADMIN_A


def _minimal_pdf() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2))
    fig.text(0.1, 0.5, "pack")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    plt.close(fig)
    return buf.getvalue()


def test_a_site_table_csv_carries_its_marking_period_and_sources_in_the_file(tmp_path) -> None:
    """Finding 10: the table CSV said nothing inside the file (only its name and a sidecar did), even
    for OFFICIAL-SENSITIVE site records; the block must read in pandas (comment="#") and keep each line
    in one spreadsheet cell."""
    import csv
    import io
    import json

    import pandas as pd

    from geo.exports import sidecar_path
    from geo.sources import Provenance
    from ui import exports as ER

    provenance = {"asy_d11": Provenance(source_id="asy_d11", title="Asy_D11, supported asylum", publisher="Home Office",
                                        licence="OGL v3.0", release="year ending September 2024", path="/x.xlsx",
                                        file_name="x.xlsx", origin="shared", sha256="ab" * 32, size_bytes=1, url=None)}
    sites = pd.DataFrame({"reference": ["S1", "S2"], "name": ["Flat #3, Oak House", "=cmd"],
                          "ward_code": ["W1", "W2"], "lad_code": ["E08000012"] * 2, "people": [4, 6],
                          "latitude": [53.4, 53.41], "longitude": [-2.9, -2.91]})
    request = ER.TableRequest(name="sites", level="site", made_on=date(2026, 1, 5), period="2026-01-05",
                              area="e08000012-liverpool", role="analyst")
    model = type("M", (), {"provenance": provenance, "lads": None, "wards": None})()
    data, sidecar = ER.make_table(model, request, sites, tmp_path)
    raw = data.read_text(encoding="utf-8-sig")
    head = [line for line in raw.splitlines() if line.startswith("#")]
    block = "\n".join(head)
    assert raw.startswith("# ") and "OFFICIAL-SENSITIVE" in block and "2026-01-05" in block
    assert "Home Office" in block and "x.xlsx" in block and "comment='#'" in block
    assert all(len(row) == 1 for row in csv.reader(io.StringIO("\n".join(head))))  # one cell each in Excel
    back = pd.read_csv(data, comment="#")
    assert back["reference"].tolist() == ["S1", "S2"]
    assert back["name"].tolist() == ["Flat #3, Oak House", "'=cmd"]  # a '#' in a cell is kept; formulas defused
    notes = json.loads(sidecar_path(data).read_text())["notes"]
    assert any("comment='#'" in n for n in notes) and sidecar == sidecar_path(data)


def test_snapshot_names_say_shape_not_print() -> None:
    """Finding 10: '...-print.pdf' named a resolution a PDF does not have; the shape is what differs."""
    from ui import exports as ER

    made = date(2026, 1, 5)
    names = {fmt: ER.MapRequest(measure="per_1000", period="2025-12-31", made_on=made, fmt=fmt, aspect=aspect,
                                resolution="print").file_name
             for fmt, aspect in (("pdf", "A4"), ("svg", "16:9"), ("png", "16:9"))}
    assert names["pdf"].endswith("-uk-A4.pdf") and names["svg"].endswith("-uk-16x9.svg")
    assert names["png"].endswith("-uk-16x9-300dpi.png")
    assert not any("print" in n for n in names.values())
