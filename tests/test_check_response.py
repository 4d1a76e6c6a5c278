"""The consultation response builds as PDF and Word, and both reopen with the evidence, decision and marking."""
from __future__ import annotations

import io
import shutil
from datetime import date

import pytest

from check_fixtures import inside, sample_db, ward_people
from geo import text
from geo.access import tracing
from geo.access.members import Member, Organisation, local_admin
from geo.check.evaluate import OBJECT, build_context, check_proposals
from geo.check.placement import PlacedProposals, single_proposal
from geo.check.register import Register
from geo.errors import GeoError
from geo.render.response import build_response, trace_document, write_response
from geo.sites.store import SiteStore


@pytest.fixture
def proposal(model, tmp_path):
    """A register (copy of the sample store) holding one objected-to proposal in a ward over 1:200."""
    db = tmp_path / "sites.sqlite"
    shutil.copy(sample_db(model), db)
    wards = ward_people(model)
    ward = wards[wards["population"].notna() & (wards["dispersed"] > wards["capacity"])].sort_values(
        "ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    ctx = build_context(model, SiteStore(db).current_sites())
    answer = check_proposals(PlacedProposals(single_proposal(
        site_type="dispersed", people=4, latitude=lat, longitude=lon, reference="PRV-17",
        address="12 Example Road", provider="Provider B")), ctx).results[0]
    reg = Register(db)
    pid = reg.add(answer, organisation="local", entered_by="officer", received=date(2026, 1, 5),
                  deadline=date(2026, 1, 15))
    reg.decide(pid, OBJECT, "The ward is already over the 1:200 limit.", "head of housing")
    return db, reg, pid, answer, ward


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_reopens_with_evidence_decision_and_marking(model, proposal) -> None:
    db, reg, pid, answer, ward = proposal
    data = build_response(reg, pid, model.wards, "pdf", made_by="officer@council")
    assert data.startswith(b"%PDF")
    words = " ".join(_pdf_text(data).split())
    assert "OFFICIAL-SENSITIVE" in words
    assert "The ward is already over the 1:200 limit." in words
    assert f"{ward['ward_name']} ({ward['ward_code']})" in words
    assert f"Ward limit at 1:200 {text.people(ward['capacity'])}" in words
    assert f"Ward: people in dispersed accommodation now {text.people(ward['dispersed'])}" in words
    assert answer["rule"] in words
    assert "12 Example Road" in words and "Provider B" in words


def test_word_reopens_with_the_same_evidence(model, proposal) -> None:
    from docx import Document

    db, reg, pid, answer, ward = proposal
    data = build_response(reg, pid, model.wards, "docx", made_by="officer@council")
    doc = Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    assert answer["summary"] in paragraphs
    assert "The ward is already over the 1:200 limit." in paragraphs
    rows = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert rows["Ward limit at 1:200"] == text.people(ward["capacity"])
    assert rows["Ward: people in dispersed accommodation now"] == text.people(ward["dispersed"])
    around = [[c.text for c in r.cells] for r in doc.tables[1].rows][1:]
    assert [r[1] for r in around] == [str(answer[f"sites_within_{m}m"]) for m in (250, 500, 1000)]
    assert doc.sections[0].header.paragraphs[0].text.startswith("OFFICIAL-SENSITIVE")  # the sample: + ILLUSTRATIVE
    assert len(doc.inline_shapes) == 1  # the map


def test_both_are_traceable_to_who_made_them(model, proposal, tmp_path) -> None:
    from docx import Document

    db, reg, pid, _, _ = proposal
    member = local_admin()
    pdf = write_response(reg, pid, model, tmp_path / "r.pdf", made_by=member.email, member=member, db=db)
    word = write_response(reg, pid, model, tmp_path / "r.docx", made_by=member.email, member=member, db=db)
    found = tracing.trace(pdf.read_bytes(), db)
    assert found["member"] == member.email and found["selection"]["proposal"] == pid
    data = word.read_bytes()
    export_id = Document(io.BytesIO(data)).core_properties.identifier
    assert export_id.startswith("AAM-")
    assert tracing.trace(data, db)["export_id"] == export_id
    officer = Member("officer@example.gov.uk", Organisation("E08000012", "Liverpool", "council"), "officer")
    with pytest.raises(GeoError, match="may not"):
        trace_document(data, "docx", member=officer, db=db, proposal_id=pid)
