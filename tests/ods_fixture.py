"""Write small OpenDocument spreadsheets (.ods) at test time, and copies of a published one.

No library the project installs writes .ods, and the format is a zip of XML, so tests build
their fixtures with this (the product reads them with calamine, as it reads GOV.UK's files).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_MANIFEST = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="{_MIME}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
         'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
         '<office:body><office:spreadsheet>')
_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write `sheets` (name -> rows of cells: numbers, text or None) as an .ods file."""
    body = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(_cell(c) for c in row) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), _MIME)  # first and stored, as the format asks
        z.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", _HEAD + body + _TAIL, compress_type=zipfile.ZIP_DEFLATED)
    return path


def read_sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of a spreadsheet as rows (calamine), to copy and alter a published file."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {name: [list(r) for r in book.get_sheet_by_name(name).to_python()] for name in book.sheet_names}


def as_at(rows: list[list[Any]], old: str, new: str) -> list[list[Any]]:
    """The same rows with the title's date changed (for a newer edition made from an older one)."""
    return [[c.replace(old, new) if isinstance(c, str) else c for c in row] for row in rows]


def newer_edition(source: Path, dest: Path, *, when: str = "31 March 2026",
                  bump: dict[str, int] | None = None, cell: tuple[str, str, Any] | None = None) -> Path:
    """A copy of a regional .ods dated `when` (title and cover), with `bump` people added to the named
    authorities' dispersal accommodation (and their totals), and `cell` = (code, heading, value)
    written into one cell, so a test can tell the editions apart or break one on purpose."""
    sheets = read_sheets(source)
    out: dict[str, list[list[Any]]] = {}
    for name, rows in sheets.items():
        rows = as_at(rows, "31 December 2025", when)
        if name == "Reg_02":
            head = rows[1]
            cols = {h: i for i, h in enumerate(head)}
            for row in rows[2:]:
                code = row[cols["LTLA (ONS code)"]]
                for h in ("Supported Asylum (total) (population)",
                          "Supported Asylum - Dispersal Accommodation (population)", "Total (all three pathways)"):
                    row[cols[h]] = row[cols[h]] + (bump or {}).get(code, 0)
                if cell and code == cell[0]:
                    row[cols[cell[1]]] = cell[2]
        out[name] = rows
    if bump:
        out.pop("Reg_01", None)  # its totals would no longer match; the reader takes Reg_02 alone
    return write_ods(dest, out)
