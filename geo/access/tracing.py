"""Traceable exports: every file that leaves carries an export ID, the member, organisation and time,
and is written to the audit log with its checksum, so a file found later can be traced to who made it.

Why both an embedded ID and checksums: the ID survives copying and renaming; when someone strips
it (deletes the CSV's first line, strips a PNG's or PDF's metadata) the file's content fingerprint
still matches the one recorded. Where the stamp goes, by format:

- CSV: a leading ``# aam-export ...`` line (the project's own reader skips it: it looks for the
  heading row) ;
- Excel: document properties (identifier, creator, description, keywords);
- GeoJSON: a top-level ``aam_export`` member; GeoPackage: an ``aam_export`` attributes table;
- PNG: a visible footer line under the picture, and text metadata;
- PDF: a visible footer line on every page, and document metadata; SVG: a footer text and metadata.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import secrets
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from geo.access import audit
from geo.access.members import Action, Member, require
from geo.access.storage import AccessStore
from geo.errors import DataError, GeoError
from geo.sites.sample import ILLUSTRATIVE

ID_PATTERN = re.compile(rb"AAM-[0-9A-F]{12}")
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "png", "pdf", "svg")
STAMP_KEY = "aam_export"


@dataclass(frozen=True)
class ExportStamp:
    """Who made an export, from which organisation, when; and whether it is the illustrative sample."""

    export_id: str
    member: str
    organisation: str
    made_at: str
    illustrative: bool = False

    def line(self) -> str:
        """The visible footer line (no commas, so a CSV sniffer never mistakes it for data)."""
        text = f"Export {self.export_id} by {self.member} ({self.organisation}) at {self.made_at}"
        return f"{ILLUSTRATIVE} - {text}" if self.illustrative else text


def new_stamp(member: Member, *, illustrative: bool = False, now: datetime | None = None) -> ExportStamp:
    made = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return ExportStamp(f"AAM-{secrets.token_hex(6).upper()}", member.email, member.org_code, made, illustrative)


def is_illustrative(sites: Any) -> bool:
    """Whether any row comes from the generated sample (its notes carry the label)."""
    notes = getattr(sites, "get", lambda _k, _d=None: None)("notes")
    return bool(notes is not None and notes.astype("string").str.contains(ILLUSTRATIVE, regex=False).any())


def sniff(data: bytes) -> str:
    """The format of exported bytes from their first bytes."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith(b"PK"):
        return "xlsx"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "svg"
    if head.startswith(b"{"):
        return "geojson"
    return "csv"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- embedding ------------------------------------------------------------------------------------

def embed(data: bytes, fmt: str, stamp: ExportStamp) -> bytes:
    """``data`` with the stamp embedded the way ``fmt`` allows."""
    if fmt not in FORMATS:
        raise GeoError(f"cannot stamp a {fmt!r} file; formats: {', '.join(FORMATS)}")
    return _EMBED[fmt](data, stamp)


def _csv(data: bytes, stamp: ExportStamp) -> bytes:
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    line = f"# aam-export {stamp.line()}\r\n".encode()
    return bom + line + data[len(bom):]


def _xlsx(data: bytes, stamp: ExportStamp) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    props = book.properties
    props.identifier = stamp.export_id
    props.creator = stamp.member
    props.lastModifiedBy = stamp.member
    props.description = stamp.line()
    props.keywords = f"{stamp.export_id} {stamp.organisation}" + (f" {ILLUSTRATIVE}" if stamp.illustrative else "")
    if stamp.illustrative and not (props.title or "").startswith(ILLUSTRATIVE):
        props.title = f"{ILLUSTRATIVE}: {props.title or 'export'}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _geojson(data: bytes, stamp: ExportStamp) -> bytes:
    doc = json.loads(data.decode("utf-8-sig"))
    doc[STAMP_KEY] = asdict(stamp) | {"line": stamp.line()}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _gpkg(data: bytes, stamp: ExportStamp) -> bytes:
    with tempfile.TemporaryDirectory(prefix="aam-stamp-") as tmp:
        path = Path(tmp) / "export.gpkg"
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        try:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {STAMP_KEY} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            rows = list((asdict(stamp) | {"line": stamp.line()}).items())
            conn.executemany(f"INSERT OR REPLACE INTO {STAMP_KEY} VALUES (?, ?)", [(k, str(v)) for k, v in rows])
            conn.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description)"
                         " VALUES (?, 'attributes', ?, ?)", (STAMP_KEY, STAMP_KEY, stamp.line()))
            conn.commit()
        finally:
            conn.close()
        return path.read_bytes()


def _png(data: bytes, stamp: ExportStamp) -> bytes:
    from PIL import Image, ImageDraw, ImageFont
    from PIL.PngImagePlugin import PngInfo

    image = Image.open(io.BytesIO(data))
    dpi = image.info.get("dpi")
    base = image.convert("RGB")
    size = max(11, base.width // 110)
    font = ImageFont.load_default(size=size)
    strip = int(size * 1.8)
    out_image = Image.new("RGB", (base.width, base.height + strip), "white")
    out_image.paste(base, (0, 0))
    ImageDraw.Draw(out_image).text((int(size * 0.6), base.height + int(size * 0.35)), stamp.line(),
                                   fill=(11, 12, 12), font=font)
    info = PngInfo()
    info.add_text(STAMP_KEY, json.dumps(asdict(stamp)))
    info.add_text("Author", stamp.member)
    info.add_text("Description", stamp.line())
    out = io.BytesIO()
    out_image.save(out, format="PNG", pnginfo=info, **({"dpi": dpi} if dpi else {}))
    return out.getvalue()


def _pdf(data: bytes, stamp: ExportStamp) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        layer = io.BytesIO()
        pen = canvas.Canvas(layer, pagesize=(width, height))
        pen.setFont("Helvetica", 6.5)
        pen.setFillGray(0.1)
        pen.drawString(14, 5, stamp.line())
        pen.save()
        page.merge_page(PdfReader(layer).pages[0])
    kept = str(reader.metadata.get("/Keywords") or "") if reader.metadata else ""  # the document's own stay
    words = [kept, stamp.export_id] + ([ILLUSTRATIVE] if stamp.illustrative and ILLUSTRATIVE not in kept else [])
    writer.add_metadata({"/Author": stamp.member, "/Subject": stamp.line(),
                         "/Keywords": " ".join(w for w in words if w), "/AAMExportID": stamp.export_id})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _svg(data: bytes, stamp: ExportStamp) -> bytes:
    from xml.sax.saxutils import escape

    text = data.decode("utf-8")
    end = text.rfind("</svg>")
    if end < 0:
        raise DataError("not an SVG document (no </svg>)")
    extra = (f'<metadata id="{STAMP_KEY}">{escape(json.dumps(asdict(stamp)))}</metadata>'
             f'<text id="{STAMP_KEY}-line" x="6" y="99%" font-family="sans-serif" font-size="7" '
             f'fill="#0b0c0c">{escape(stamp.line())}</text>')
    return (text[:end] + extra + text[end:]).encode("utf-8")


_EMBED = {"csv": _csv, "xlsx": _xlsx, "geojson": _geojson, "gpkg": _gpkg, "png": _png, "pdf": _pdf, "svg": _svg}


# --- content fingerprints (what stays when the stamp is stripped) -------------------------------

def fingerprint(data: bytes, fmt: str | None = None) -> str:
    """SHA-256 of the content without its stamp: the same before and after someone strips the ID."""
    fmt = fmt or sniff(data)
    try:
        return sha256(_CONTENT.get(fmt, lambda d: d)(data))
    except Exception:  # a damaged file has no content fingerprint; the raw checksum still works
        return sha256(data)


def normalised_text(data: bytes) -> bytes:
    """Text as a re-save leaves its meaning: no byte-order mark, LF line ends, no trailing spaces or
    tabs on a line, no blank lines at the end. An editor that turns CRLF into LF, or trims lines,
    still leaves the same fingerprint."""
    return b"\n".join(normalised_lines([data]))


def normalised_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of :func:`normalised_text`, from text given a block at a time (a spooled export
    too big to hold): the same rule, at the memory of one block."""
    carry, started, blank = b"", False, 0
    for block in blocks:
        if not started:
            block = block.lstrip(b"\xef\xbb\xbf")
            started = bool(block)
        *lines, carry = (carry + block).replace(b"\r\n", b"\n").split(b"\n")
        for line in lines:
            line = line.rstrip(b" \t\r")
            if not line:
                blank += 1   # kept only if a line with text follows (none at the end)
                continue
            yield from [b""] * blank
            blank = 0
            yield line
    if line := carry.rstrip(b" \t\r"):
        yield from [b""] * blank
        yield line


def _csv_content(data: bytes) -> bytes:
    lines = normalised_text(data).split(b"\n")
    while lines and lines[0].startswith(b"# aam-export"):
        lines = lines[1:]
    return b"\n".join(lines)


def _xlsx_content(data: bytes) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    out = [[ws.title, [list(r) for r in ws.iter_rows(values_only=True)]] for ws in book.worksheets]
    book.close()
    return json.dumps(out, default=str).encode("utf-8")


def _geojson_content(data: bytes) -> bytes:
    doc = json.loads(data.decode("utf-8-sig"))
    doc.pop(STAMP_KEY, None)
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _gpkg_content(data: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="aam-trace-") as tmp:
        path = Path(tmp) / "file.gpkg"
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        try:
            tables = [r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents WHERE table_name <> ?"
                                                 " ORDER BY table_name", (STAMP_KEY,))]
            out = [[t, [list(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')]] for t in tables]
        finally:
            conn.close()
    return json.dumps(out, default=lambda v: v.hex() if isinstance(v, bytes) else str(v)).encode("utf-8")


def _png_content(data: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    return f"{image.mode}{image.size}".encode() + image.tobytes()


def _pdf_content(data: bytes) -> bytes:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\f".join(page.extract_text() or "" for page in reader.pages).encode("utf-8")


def _svg_content(data: bytes) -> bytes:
    text = data.decode("utf-8-sig")
    text = re.sub(rf'<metadata id="{STAMP_KEY}">.*?</metadata>', "", text, flags=re.S)
    return normalised_text(re.sub(rf'<text id="{STAMP_KEY}-line".*?</text>', "", text, flags=re.S).encode("utf-8"))


_CONTENT = {"csv": _csv_content, "xlsx": _xlsx_content, "geojson": _geojson_content, "gpkg": _gpkg_content,
            "png": _png_content, "pdf": _pdf_content, "svg": _svg_content}


# --- reading the stamp back -----------------------------------------------------------------------

def embedded_id(data: bytes, fmt: str | None = None) -> str | None:
    """The export ID in a file, wherever its format keeps it; None when it was stripped."""
    fmt = fmt or sniff(data)
    found = ID_PATTERN.search(data)
    if found:
        return found.group().decode()
    try:
        if fmt == "xlsx":  # any Office file (Excel, Word): properties, footers and sheets are zipped XML
            import zipfile

            with zipfile.ZipFile(io.BytesIO(data)) as book:
                text = " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                                if n.endswith(".xml"))
        elif fmt == "pdf":
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            text = json.dumps({str(k): str(v) for k, v in (reader.metadata or {}).items()})
            text += " ".join(page.extract_text() or "" for page in reader.pages)
        elif fmt == "png":
            from PIL import Image

            text = json.dumps(Image.open(io.BytesIO(data)).info, default=str)
        else:
            return None
    except Exception:  # damaged files: fall back to the checksum
        return None
    found = ID_PATTERN.search(text.encode("utf-8"))
    return found.group().decode() if found else None


# --- the two calls the app and the command line make --------------------------------------------

def _refuse_unless_allowed(store: AccessStore, member: Member, fmt: str, selection: dict[str, Any] | None,
                          site_level: bool) -> None:
    """Site-level data needs ``Action.EXPORT_SITES``; a refusal is written to the log too."""
    if not site_level:
        return
    try:
        require(member, Action.EXPORT_SITES)
    except GeoError as exc:
        audit.record(store, member, "refused", {"what": "export", "format": fmt, "selection": selection or {},
                                                "why": str(exc)})
        raise


def _record_export(store: AccessStore, member: Member, stamp: ExportStamp, fmt: str, *, checksum: str,
                   content_checksum: str, selection: dict[str, Any] | None, rows: int | None, site_level: bool,
                   illustrative: bool, audited: dict[str, Any] | None = None) -> None:
    """The export's audit row (with ``audited`` added) and trace, in one transaction."""
    trace = {"export_id": stamp.export_id, "sha256": checksum, "content_sha256": content_checksum,
             "member": stamp.member, "organisation": stamp.organisation, "made_at": stamp.made_at, "format": fmt,
             "selection": selection or {}, "rows": rows}

    def work(conn):
        trace["audit_id"] = audit.write_in(store, conn, member, "export", {
            "export_id": stamp.export_id, "format": fmt, "selection": selection or {}, "rows": rows,
            "sha256": checksum, "site_level": site_level, "illustrative": illustrative, **(audited or {})})
        store.put_trace(conn, trace)
    store.transaction(work, also=(member.org_code,))


def stamp_export(db: str | Path | AccessStore, member: Member, data: bytes, fmt: str, *,
                 selection: dict[str, Any] | None = None, rows: int | None = None, site_level: bool = False,
                 illustrative: bool = False, now: datetime | None = None) -> bytes:
    """Stamp an export for ``member`` and record it (audit row and trace) in one transaction.

    Site-level data needs ``Action.EXPORT_SITES``; refusals are written to the log too.
    """
    store = db if isinstance(db, AccessStore) else AccessStore(db)
    _refuse_unless_allowed(store, member, fmt, selection, site_level)
    stamp = new_stamp(member, illustrative=illustrative, now=now)
    out = embed(data, fmt, stamp)
    _record_export(store, member, stamp, fmt, checksum=sha256(out), content_checksum=fingerprint(out, fmt),
                   selection=selection, rows=rows, site_level=site_level, illustrative=illustrative)
    return out


BLOCK = 1 << 20  # bytes read at a time from a spooled export


def stamp_csv_file(db: str | Path | AccessStore, member: Member, body: BinaryIO, write: Callable[[bytes], Any], *,
                   selection: dict[str, Any] | None = None, rows: int | None = None, site_level: bool = False,
                   illustrative: bool = False, now: datetime | None = None) -> None:
    """:func:`stamp_export` for a CSV too big to hold: ``body`` (a file of the CSV's bytes, read
    twice) is checksummed and recorded first, then the stamped file is passed to ``write`` a block
    at a time. ``write`` receives exactly what ``stamp_export`` would have returned."""
    store = db if isinstance(db, AccessStore) else AccessStore(db)
    _refuse_unless_allowed(store, member, "csv", selection, site_level)
    stamp = new_stamp(member, illustrative=illustrative, now=now)
    body.seek(0)
    bom = b"\xef\xbb\xbf" if body.read(3) == b"\xef\xbb\xbf" else b""
    head = _csv(bom, stamp)  # the BOM (if any) and the stamp line: what precedes the body's own bytes
    whole, content = hashlib.sha256(head), hashlib.sha256()
    body.seek(len(bom))

    def blocks() -> Iterator[bytes]:
        for block in iter(lambda: body.read(BLOCK), b""):
            whole.update(block)
            yield block

    lines = normalised_lines(blocks())  # the content fingerprint: as _csv_content, without the stamp
    separator = b""
    for line in itertools.dropwhile(lambda text: text.startswith(b"# aam-export"), lines):
        content.update(separator + line)
        separator = b"\n"
    _record_export(store, member, stamp, "csv", checksum=whole.hexdigest(), content_checksum=content.hexdigest(),
                   selection=selection, rows=rows, site_level=site_level, illustrative=illustrative)
    write(head)
    body.seek(len(bom))
    for block in iter(lambda: body.read(BLOCK), b""):
        write(block)


def trace(data: bytes, db: str | Path | AccessStore) -> dict[str, Any]:
    """Who exported this file: by its embedded ID, else by its checksum, else by its content fingerprint.

    The answer is the first match, with ``candidates`` listing every export that matches and
    ``ambiguous`` true when more than one does: two members who exported the same content leave the
    same fingerprint, and a stripped copy cannot say which of them it came from, so neither is
    named alone.
    """
    store = db if isinstance(db, AccessStore) else AccessStore(db)
    fmt = sniff(data)
    export_id = embedded_id(data, fmt)
    tries: list[tuple[str, dict[str, str | None]]] = [
        ("id", {"export_id": export_id}), ("checksum", {"sha256": sha256(data)}),
        ("content checksum", {"content_sha256": fingerprint(data, fmt)})]
    for how, key in tries:
        found = store.find_traces(**key)
        if found:
            people = {(f["member"], f["organisation"]) for f in found}
            return found[0] | {"found_by": how, "ambiguous": len(people) > 1, "candidates": [
                {k: f[k] for k in ("export_id", "member", "organisation", "made_at", "format", "rows")}
                for f in found]}
    raise GeoError(f"no export matches this {fmt} file (ID {export_id or 'not found'}, "
                   f"checksum {sha256(data)[:12]}...)")


def stamp_files(db: str | Path | AccessStore, member: Member, files: dict[str, bytes], main: str, fmt: str, *,
                selection: dict[str, Any] | None = None, rows: int | None = None, site_level: bool = False,
                illustrative: bool = False) -> dict[str, bytes]:
    """An export of several files (the data file ``main`` and its ``*.sources.json`` sidecar): the main
    file stamped and recorded; a CSV keeps its bytes and carries its stamp in the sidecar instead, so
    every CSV reader still reads it (its checksum traces it)."""
    sidecar = next((n for n in files if n != main and n.endswith(".json")), None)
    if fmt != "csv" or sidecar is None:
        out = dict(files)
        out[main] = stamp_export(db, member, files[main], fmt, selection=selection, rows=rows, site_level=site_level,
                                 illustrative=illustrative)
        return out
    store = db if isinstance(db, AccessStore) else AccessStore(db)
    if site_level:
        require(member, Action.EXPORT_SITES)
    stamp = new_stamp(member, illustrative=illustrative)
    data = files[main]
    meta = json.loads(files[sidecar].decode("utf-8"))
    meta[STAMP_KEY] = asdict(stamp) | {"line": stamp.line(), "file": main, "sha256": sha256(data)}
    _record_export(store, member, stamp, fmt, checksum=sha256(data), content_checksum=fingerprint(data, "csv"),
                   selection=selection, rows=rows, site_level=site_level, illustrative=illustrative,
                   audited={"stamp": "sidecar"})
    return {**files, sidecar: (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")}
