"""Issue 27 finding 6: the consultation response's stamp never overprints its marking, and a response
made from the illustrative sample says ILLUSTRATIVE on every page and in its metadata."""
from __future__ import annotations

import io
import shutil
from datetime import date

import pytest

from check_fixtures import inside, sample_db, ward_people
from conftest import needs_shared
from geo.access.members import local_admin
from geo.sites.sample import ILLUSTRATIVE
from pdf_tools import overlapping, pdf_text_boxes

pytestmark = needs_shared


@pytest.fixture
def sample_proposal(model, tmp_path):
    """A register on a copy of the illustrative sample's store, with one proposal kept from a check."""
    from geo.check.evaluate import build_context, check_proposals
    from geo.check.placement import PlacedProposals, single_proposal
    from geo.check.register import Register
    from geo.sites.store import SiteStore

    db = tmp_path / "sites.sqlite"
    shutil.copy(sample_db(model), db)
    ward = ward_people(model).sort_values("ward_code").iloc[0]
    lat, lon = inside(model, ward["ward_code"])
    ctx = build_context(model, SiteStore(db).current_sites())
    answer = check_proposals(PlacedProposals(single_proposal(site_type="dispersed", people=4, latitude=lat,
                                                             longitude=lon)), ctx).results[0]
    reg = Register(db)
    pid = reg.add(answer, organisation="local", entered_by="officer", received=date(2026, 1, 5),
                  deadline=date(2026, 1, 15))
    return db, reg, pid


def test_the_stamp_is_never_printed_over_the_marking(model, sample_proposal, tmp_path) -> None:
    from geo.render.response import write_response

    db, reg, pid = sample_proposal
    member = local_admin()
    pdf = write_response(reg, pid, model, tmp_path / "r.pdf", made_by=member.email, member=member, db=db)
    pages = pdf_text_boxes(pdf)
    assert len(pages) >= 1
    for number, boxes in enumerate(pages, start=1):
        assert any("AAM-" in t for t, _ in boxes), f"page {number} carries no stamp"
        assert any("OFFICIAL-SENSITIVE" in t for t, _ in boxes)
        assert not overlapping(boxes, "AAM-"), f"page {number}: {overlapping(boxes, 'AAM-')}"


def test_a_response_from_the_sample_says_illustrative_everywhere(model, sample_proposal, tmp_path) -> None:
    from docx import Document
    from pypdf import PdfReader

    from geo.render.response import write_response

    db, reg, pid = sample_proposal
    member = local_admin()
    pdf = write_response(reg, pid, model, tmp_path / "r.pdf", made_by=member.email, member=member, db=db)
    for number, boxes in enumerate(pdf_text_boxes(pdf), start=1):
        assert any(ILLUSTRATIVE in t for t, _ in boxes), f"page {number} is not marked {ILLUSTRATIVE}"
    meta = PdfReader(pdf).metadata
    assert ILLUSTRATIVE in str(meta.title) and ILLUSTRATIVE in str(meta.get("/Keywords"))
    word = write_response(reg, pid, model, tmp_path / "r.docx", made_by=member.email, member=member, db=db)
    doc = Document(io.BytesIO(word.read_bytes()))
    assert ILLUSTRATIVE in doc.sections[0].header.paragraphs[0].text
    assert ILLUSTRATIVE in doc.sections[0].footer.paragraphs[0].text
    assert ILLUSTRATIVE in doc.core_properties.title and ILLUSTRATIVE in doc.core_properties.keywords
