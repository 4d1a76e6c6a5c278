"""The consultation response to a provider's proposal: a PDF to send and an editable Word document.

Why both: the PDF is the record (fixed, traceable), the Word copy is what an officer edits into
the council's letterhead before it goes. Both carry the same evidence, taken from the register
exactly as the check answered on the day (``Register.answer``), the map (the proposed point, its
ward, nearby sites and the 250 m / 500 m / 1 km rings, drawn with Matplotlib on the British
National Grid, no tiles), the rule applied and the decision. Both are OFFICIAL-SENSITIVE: they
are built from site records.

Tracing: ``trace_document`` stamps the PDF with ``geo.access.tracing.stamp_export`` (export ID,
member, organisation, time; footer and metadata; audit row). ``tracing`` has no Word embedder,
so for .docx the same stamp (``tracing.new_stamp``) goes into the document's properties and
footer here and is recorded through ``geo.access.audit`` and the access store's trace table.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from geo import text
from geo.check.settings import RADII_M
from geo.errors import DataError
from geo.render.marking import HANDLING, OFFICIAL_SENSITIVE
from geo.sites.grid import wgs84_to_bng
from geo.sites.sample import ILLUSTRATIVE

MARKING = OFFICIAL_SENSITIVE
FORMATS = ("pdf", "docx")
RING_STYLES = {250: ":", 500: "--", 1000: "-"}
TYPE_COLOURS = {"hotel": "#8c2d04", "dispersed": "#2171b5", "initial": "#6a51a3", "other_contingency": "#525252",
                "other": "#525252"}
NOT_DECIDED = "not yet decided"
STAMP_STRIP = 12  # points kept empty at the foot of each PDF page for the export stamp (tracing._pdf)


@dataclass
class ResponseContent:
    """Everything a response shows, gathered once so the PDF and the Word copy cannot disagree."""

    proposal_id: int
    proposal: dict[str, Any]
    answer: dict[str, Any]
    decision: str
    reason: str
    decided_by: str
    decided_at: str
    made_by: str
    made_on: date
    evidence: list[tuple[str, str]] = field(default_factory=list)
    around: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def illustrative(self) -> bool:
        """Checked against the illustrative sample: then the response says so on every page."""
        return bool(self.answer.get("illustrative"))

    @property
    def title(self) -> str:
        where = self.proposal.get("address") or self.proposal.get("postcode") or \
            f"{self.answer['ward_name']} ward"
        return f"Consultation response: proposed {self.answer['type']} property, {where}"

    @property
    def document_title(self) -> str:
        """The title in the file's metadata: ILLUSTRATIVE first when it was made from the sample."""
        return f"{ILLUSTRATIVE}: {self.title}" if self.illustrative else self.title

    @property
    def keywords(self) -> str:
        return f"{MARKING} {ILLUSTRATIVE}" if self.illustrative else MARKING


def content_for(register: Any, proposal_id: int, *, made_by: str, made_on: date | None = None) -> ResponseContent:
    """The response's content from the register: the stored answer and the decision in force."""
    proposal = register._proposal(proposal_id)
    answer = register.answer(proposal_id)
    decisions = register.history(proposal_id)
    decisions = decisions[decisions["event"] == "decision"]
    if len(decisions):
        last = decisions.iloc[-1]
        decision, reason, by, at = str(last["what"]), str(last["reason"]), str(last["who"]), str(last["at"])
    else:
        decision, reason, by, at = NOT_DECIDED, "", "", ""
    out = ResponseContent(int(proposal_id), proposal, answer, decision, reason, by, at, made_by,
                          made_on or date.today())
    out.evidence = evidence_rows(answer)
    out.around = around_rows(answer)
    return out


def evidence_rows(a: dict[str, Any]) -> list[tuple[str, str]]:
    """(measure, value) rows for the ward and the council, in the words every screen uses."""
    added = a["added_to_limit"]
    return [
        ("Ward", f"{a['ward_name']} ({a['ward_code']})"),
        ("Council", f"{a['lad_name']} ({a['lad_code']})"),
        ("Proposed", f"{a['type']}, {text.people(a['people'])} people"
                     + ("" if added else " (does not count toward 1:200)")),
        ("Ward residents (Census 2021)", text.people(a["ward_residents"])),
        ("Ward: people in dispersed accommodation now", text.people(a["ward_dispersed_now"])),
        ("Ward limit at 1:200", text.people(a["ward_limit"])),
        ("Ward headroom now / after",
         f"{text.number(a['ward_headroom_now'])} / {text.number(a['ward_headroom_after'])}"),
        ("Ward status after", a["ward_status_after"]),
        (f"Council: people in dispersed accommodation {text.as_at(a['lad_period'])}",
         text.people(a["lad_dispersed_now"])),
        ("Council residents (as the Home Office uses)", text.people(a["lad_residents"])),
        ("Council limit at 1:200", text.people(a["lad_limit"])),
        ("Council headroom now / after",
         f"{text.number(a['lad_headroom_now'])} / {text.number(a['lad_headroom_after'])}"),
        ("Council status after", a["lad_status_after"]),
        ("Council against its fair share of the region", f"{a['lad_fair_share_status_now']} now, "
                                                          f"{a['lad_fair_share_status_after']} after"),
        ("Hotels in the ward", f"{a['hotels_in_ward']} ({text.people(a['hotels_in_ward_people'])} people)"),
    ]


def around_rows(a: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(radius, sites, people) for 250 m, 500 m and 1 km."""
    return [(f"{r:,} m" if r < 1000 else f"{r // 1000} km", str(a[f"sites_within_{r}m"]),
             text.people(a[f"people_within_{r}m"])) for r in RADII_M]


# ----------------------------------------------------------------------------- the map

def map_png(answer: dict[str, Any], wards: Any, *, dpi: int = 160) -> bytes:
    """The proposed point, its ward, nearby sites and the rings, on the British National Grid (PNG bytes)."""
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(6.4, 5.2))
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.88))
    x, y = float(answer["easting"]), float(answer["northing"])
    ward = wards[wards["ward_code"] == answer["ward_code"]]
    if len(ward):
        ward.to_crs(27700).boundary.plot(ax=ax, color="#0b0c0c", linewidth=1.4)
    theta = np.linspace(0, 2 * np.pi, 181)
    for r in RADII_M:
        ax.plot(x + r * np.cos(theta), y + r * np.sin(theta), RING_STYLES[r], color="#505a5f", linewidth=0.9)
        ax.annotate(f"{r:,} m" if r < 1000 else "1 km", (x, y + r), ha="center", va="bottom", fontsize=7,
                    color="#505a5f")
    nearby = pd.DataFrame(answer.get("nearby") or [])
    if len(nearby):
        e, n = wgs84_to_bng(nearby["longitude"].to_numpy(), nearby["latitude"].to_numpy())
        sizes = 12 + 3 * np.sqrt(nearby["people"].clip(lower=0).to_numpy())
        colours = [TYPE_COLOURS.get(t, "#525252") for t in nearby["type"]]
        ax.scatter(e, n, s=sizes, c=colours, edgecolors="white", linewidths=0.5, zorder=3)
    ax.scatter([x], [y], s=160, marker="*", c="#d4351c", edgecolors="#0b0c0c", linewidths=0.7, zorder=4)
    pad = max(RADII_M) * 1.12
    ax.set_xlim(x - pad, x + pad)
    ax.set_ylim(y - pad, y + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    handles = [Line2D([], [], marker="*", linestyle="", color="#d4351c", markersize=11, label="proposed"),
               Line2D([], [], color="#0b0c0c", label=f"{answer['ward_name']} ward")]
    for kind in sorted(set(nearby["type"])) if len(nearby) else []:
        handles.append(Line2D([], [], marker="o", linestyle="", color=TYPE_COLOURS.get(kind, "#525252"),
                              label=f"{kind} site"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
    fig.text(0.02, 0.03, "British National Grid. Rings at 250 m, 500 m and 1 km. Contains OS data \u00a9 Crown "
             "copyright and database right.", fontsize=6.5, color="#505a5f")
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


# ----------------------------------------------------------------------------- PDF

def _fonts() -> tuple[str, str]:
    """Matplotlib's DejaVu fonts, embedded, so the PDF matches the map (registered once)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    return "DejaVu", "DejaVu-Bold"


def response_pdf(content: ResponseContent, picture: bytes) -> bytes:
    """The response as A4 portrait PDF bytes (marking banner on every page)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("b", fontName=regular, fontSize=9.5, leading=12.5)
    small = ParagraphStyle("s", parent=body, fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=14, leading=18, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=2)
    a = content.answer

    def banner(canvas: Any, doc: Any) -> None:
        """Marking bands top and bottom. The bottom STAMP_STRIP points are left empty for the export
        stamp (``geo.access.tracing`` prints it there), so it never lands on the marking."""
        width, height = doc.pagesize
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#a50f15"))
        canvas.rect(0, height - 16, width, 16, stroke=0, fill=1)
        canvas.rect(0, STAMP_STRIP, width, 16, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(bold, 9.5)
        canvas.drawCentredString(width / 2, height - 11.5, MARKING)
        canvas.drawCentredString(width / 2, STAMP_STRIP + 4.5, MARKING)
        if content.illustrative:
            canvas.setFont(bold, 8)
            canvas.drawString(doc.leftMargin, height - 11, ILLUSTRATIVE)
            canvas.drawRightString(width - doc.rightMargin, STAMP_STRIP + 5, ILLUSTRATIVE)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(regular, 7)
        canvas.drawString(doc.leftMargin, STAMP_STRIP + 22, f"Proposal {content.proposal_id}. Made by "
                          f"{content.made_by} on {text.quarter_label(content.made_on)}. Page {doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm + STAMP_STRIP, invariant=1, title=content.document_title,
                            subject=MARKING, author=content.made_by, creator="Asylum Accommodation Map",
                            keywords=content.keywords.split(" ", 1))
    grid = TableStyle([("FONT", (0, 0), (-1, -1), regular, 8.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONT", (0, 0), (-1, 0), bold, 8.5)])

    def cell(value: str) -> Paragraph:
        return Paragraph(escape(str(value)), small)

    story: list[Any] = [Paragraph(escape(content.title), h1)]
    prop = content.proposal
    story.append(Paragraph(escape(
        f"Proposed by {prop.get('provider') or 'a provider (not named)'}; received {prop['received']}, response due "
        f"{prop['deadline']}. Reference {prop['reference']}."), body))
    story.append(Paragraph("Decision", h2))
    if content.decision == NOT_DECIDED:
        story.append(Paragraph(f"Not yet decided. The check recommends: <b>{escape(a['recommendation'])}</b>.", body))
    else:
        story.append(Paragraph(f"<b>{escape(content.decision.capitalize())}</b>. {escape(content.reason)}", body))
        story.append(Paragraph(escape(f"Decided by {content.decided_by} at {content.decided_at}."), small))
    story.append(Paragraph("The check's answer on the day", h2))
    story.append(Paragraph(escape(a["summary"]), body))
    story.append(Paragraph(escape(f"Rule applied: {a['rule']}"), body))
    for why in a["reasons"][1:]:
        story.append(Paragraph(escape(f"Also: {why}"), body))
    if a.get("counted_together"):
        story.append(Paragraph(escape(a["counted_together"]), body))
    story.append(Paragraph("Evidence", h2))
    rows = [[cell("Measure"), cell("Value")]] + [[cell(k), cell(v)] for k, v in content.evidence]
    story.append(Table(rows, colWidths=[95 * mm, 80 * mm], style=grid))
    story.append(Paragraph("What is around it", h2))
    near = [[cell("Within"), cell("Sites (open or planned)"), cell("People in them")]] + \
        [[cell(r), cell(s), cell(p)] for r, s, p in content.around]
    story.append(Table(near, colWidths=[40 * mm, 60 * mm, 60 * mm], style=grid))
    story.append(Spacer(1, 4))
    story.append(Image(io.BytesIO(picture), width=150 * mm, height=150 * mm * 5.2 / 6.4))
    story.append(Paragraph("Rules in force", h2))
    for line in a.get("rules_applied", []):
        story.append(Paragraph(escape(f"\u2022 {line}"), small))
    story.append(Paragraph("Sources", h2))
    story.append(Paragraph(escape(a.get("sources", "")), small))
    story.append(Paragraph(escape(f"{MARKING}. {HANDLING[MARKING]}"), small))
    doc.build(story, onFirstPage=banner, onLaterPages=banner)
    return out.getvalue()


# ----------------------------------------------------------------------------- Word

def _marking_line(content: ResponseContent) -> str:
    return f"{MARKING} - {ILLUSTRATIVE}" if content.illustrative else MARKING


def response_docx(content: ResponseContent, picture: bytes, footer_line: str = "") -> bytes:
    """The same response as an editable Word document (marking in header and footer)."""
    from docx import Document
    from docx.shared import Mm, Pt

    a = content.answer
    doc = Document()
    props = doc.core_properties
    props.title, props.subject, props.author = content.document_title, MARKING, content.made_by
    props.keywords = content.keywords
    section = doc.sections[0]
    section.header.paragraphs[0].text = _marking_line(content)
    section.footer.paragraphs[0].text = f"{_marking_line(content)}. {footer_line}".strip()
    doc.add_heading(content.title, level=1)
    prop = content.proposal
    doc.add_paragraph(f"Proposed by {prop.get('provider') or 'a provider (not named)'}; received {prop['received']}, "
                      f"response due {prop['deadline']}. Reference {prop['reference']}.")
    doc.add_heading("Decision", level=2)
    if content.decision == NOT_DECIDED:
        doc.add_paragraph(f"Not yet decided. The check recommends: {a['recommendation']}.")
    else:
        doc.add_paragraph(f"{content.decision.capitalize()}. {content.reason}")
        doc.add_paragraph(f"Decided by {content.decided_by} at {content.decided_at}.")
    doc.add_heading("The check's answer on the day", level=2)
    doc.add_paragraph(a["summary"])
    doc.add_paragraph(f"Rule applied: {a['rule']}")
    for why in a["reasons"][1:]:
        doc.add_paragraph(f"Also: {why}")
    if a.get("counted_together"):
        doc.add_paragraph(a["counted_together"])
    doc.add_heading("Evidence", level=2)
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Measure", "Value"
    for k, v in content.evidence:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = k, v
    doc.add_heading("What is around it", level=2)
    near = doc.add_table(rows=1, cols=3)
    near.style = "Table Grid"
    for c, label in zip(near.rows[0].cells, ("Within", "Sites (open or planned)", "People in them"), strict=True):
        c.text = label
    for row in content.around:
        for c, value in zip(near.add_row().cells, row, strict=True):
            c.text = value
    doc.add_picture(io.BytesIO(picture), width=Mm(150))
    doc.add_heading("Rules in force", level=2)
    for line in a.get("rules_applied", []):
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("Sources", level=2)
    p = doc.add_paragraph(a.get("sources", ""))
    for run in p.runs:
        run.font.size = Pt(8)
    doc.add_paragraph(f"{MARKING}. {HANDLING[MARKING]}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- tracing hook

def trace_document(data: bytes, fmt: str, *, member: Any, db: str | Path, proposal_id: int,
                   illustrative: bool = False) -> bytes:
    """Stamp and record one response (export ID, member, organisation, time; audit row and trace).

    The one hook between responses and ``geo.access``: PDFs go through ``tracing.stamp_export``;
    Word documents are stamped here (``tracing`` has no .docx embedder yet) and recorded the same way.
    """
    from geo.access import audit, tracing
    from geo.access.members import Action, require
    from geo.access.storage import AccessStore

    selection = {"what": "consultation response", "proposal": int(proposal_id)}
    if fmt == "pdf":
        return tracing.stamp_export(db, member, data, "pdf", selection=selection, site_level=True,
                                    illustrative=illustrative)
    store = AccessStore(db)
    try:
        require(member, Action.EXPORT_SITES)
    except Exception as exc:
        audit.record(store, member, "refused", {"what": "export", "format": fmt, "selection": selection,
                                                "why": str(exc)})
        raise
    stamp = tracing.new_stamp(member, illustrative=illustrative)
    out = _stamp_docx(data, stamp)
    trace = {"export_id": stamp.export_id, "sha256": tracing.sha256(out), "content_sha256": None,
             "member": stamp.member, "organisation": stamp.organisation, "made_at": stamp.made_at,
             "format": fmt, "selection": selection, "rows": 1}

    def work(conn: Any) -> None:
        trace["audit_id"] = audit.write_in(store, conn, member, "export", {
            "export_id": stamp.export_id, "format": fmt, "selection": selection, "rows": 1,
            "sha256": trace["sha256"], "site_level": True, "illustrative": illustrative})
        store.put_trace(conn, trace)
    store.transaction(work, also=(member.org_code,))
    return out


def _stamp_docx(data: bytes, stamp: Any) -> bytes:
    """The stamp in the Word document's properties (identifier, comments) and as its footer line."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    doc.core_properties.identifier = stamp.export_id
    doc.core_properties.comments = stamp.line()
    doc.core_properties.keywords = f"{doc.core_properties.keywords or MARKING} {stamp.export_id}"
    footer = doc.sections[0].footer.paragraphs[0]
    marking = doc.sections[0].header.paragraphs[0].text or MARKING  # with ILLUSTRATIVE when it says so
    footer.text = f"{marking}. {stamp.line()}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- one call

def build_response(register: Any, proposal_id: int, wards: Any, fmt: str, *, made_by: str,
                   made_on: date | None = None) -> bytes:
    """The response for a proposal as PDF or Word bytes (unstamped; see ``trace_document``)."""
    if fmt not in FORMATS:
        raise DataError(f"a response is {' or '.join(FORMATS)}, not {fmt!r}")
    content = content_for(register, proposal_id, made_by=made_by, made_on=made_on)
    picture = map_png(content.answer, wards)
    return response_pdf(content, picture) if fmt == "pdf" else response_docx(content, picture)


def is_illustrative_answer(register: Any, proposal_id: int) -> bool:
    """Whether the proposal was checked against the illustrative sample (its stamp then says so)."""
    return bool(register.answer(proposal_id).get("illustrative"))


def write_response(register: Any, proposal_id: int, model: Any, out: str | Path, *, made_by: str,
                   member: Any = None, db: str | Path | None = None) -> Path:
    """Write the response to ``out`` (.pdf or .docx), stamped and recorded when ``member`` is given."""
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    data = build_response(register, proposal_id, model.wards, fmt, made_by=made_by)
    if member is not None:
        data = trace_document(data, fmt, member=member, db=db or register.path, proposal_id=proposal_id,
                              illustrative=is_illustrative_answer(register, proposal_id))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
