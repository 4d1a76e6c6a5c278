"""The hostile files of issue 13, built by the tests (small, so the corpus costs nothing to keep).

Each builder writes one file the way a council's tool (or an attacker) might, and returns its path.
Run ``python -m tests.hostile DIR`` to write the whole corpus to a folder for manual checks.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
from openpyxl import Workbook
from shapely.geometry import Point

HEADER = ["Reference", "Type", "Latitude", "Longitude", "People"]
# Inside the toy wards of tests/fixtures_sites.py (W1: lon -2.0..-1.9, lat 52.0..52.1).
LAT, LON = 52.05, -1.95


def rows(n: int) -> list[list[object]]:
    """A header and n valid dispersed-property rows."""
    return [list(HEADER)] + [[f"R{i}", "Dispersed property", LAT, LON, (i % 5) + 1] for i in range(n)]


def understated_dimension(path: Path, data_rows: int = 10, claimed: str = "A1:E3") -> Path:
    """An .xlsx whose <dimension> tag claims fewer rows than it holds (the read-only reader trusts it)."""
    book = Workbook()
    for row in rows(data_rows):
        book.active.append(row)
    plain = path.with_name(path.stem + ".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                if "<dimension" in text:
                    text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{claimed}"', text)
                else:
                    text = text.replace("<sheetData", f'<dimension ref="{claimed}"/><sheetData', 1)
                data = text.encode("utf-8")
            dst.writestr(item, data)
    plain.unlink()
    return path


def zip_bomb(path: Path, expanded_mb: int = 64) -> Path:
    """An .xlsx-shaped zip whose sheet expands ~1000 times (64 MB from about 64 KB by default)."""
    filler = b"<row><c><v>0</v></c></row>" * (expanded_mb * (1 << 20) // 26)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet><sheetData>" + filler + b"</sheetData></worksheet>")
    return path


def utf16_csv(path: Path, bom: bool = True, big_endian: bool = False, data_rows: int = 4) -> Path:
    """UTF-16 CSV (LE or BE, with or without BOM), as Excel's 'Unicode text' save writes it."""
    text = "\r\n".join(",".join(str(c) for c in r) for r in rows(data_rows)) + "\r\n"
    codec = "utf-16-be" if big_endian else "utf-16-le"
    data = text.encode(codec)
    if bom:
        data = (b"\xfe\xff" if big_endian else b"\xff\xfe") + data
    path.write_bytes(data)
    return path


def long_field_csv(path: Path, size: int = 200 * 1024) -> Path:
    """A CSV with one field longer than the csv module's default 128 KB limit."""
    table = rows(2)
    table[0].append("Notes")
    table[1].append("x" * size)
    table[2].append("short")
    path.write_text("\n".join(",".join(str(c) for c in r) for r in table) + "\n", encoding="utf-8")
    return path


def huge_people_csv(path: Path) -> Path:
    """People of 1e19 and more (beyond 64-bit integers) beside a valid row."""
    table = rows(3)
    table[1][4] = "10000000000000000000"
    table[2][4] = "1e19"
    path.write_text("\n".join(",".join(str(c) for c in r) for r in table) + "\n", encoding="utf-8")
    return path


def bng_gpkg_without_crs(path: Path, n: int = 3) -> Path:
    """A GeoPackage of points in British National Grid metres that names no CRS."""
    from geo.sites.grid import wgs84_to_bng

    east, north = wgs84_to_bng([LON] * n, [LAT] * n)
    gdf = gpd.GeoDataFrame({"Reference": [f"G{i}" for i in range(n)], "Type": ["Dispersed property"] * n,
                            "People": [2] * n}, geometry=[Point(e, nn) for e, nn in zip(east, north, strict=True)],
                            crs=None)
    gdf.to_file(path, driver="GPKG")
    return path


def formula_cells_xlsx(path: Path) -> Path:
    """An .xlsx whose text cells hold formulas and formula-like text."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER + ["Name"])
    sheet.append(["F1", "Hotel", LAT, LON, 3, "=HYPERLINK(\"http://x.example\",\"click\")"])
    sheet.append(["F2", "Hotel", LAT, LON, 4, "@SUM(1+1)"])
    book.save(path)
    return path


def markdown_heading_csv(path: Path) -> Path:
    """A heading written as Markdown with an image from an address (must be shown as text)."""
    table = rows(1)
    table[0].append("![x](http://127.0.0.1:1/pixel.png) **bold** <img src=x onerror=alert(1)>")
    table[1].append("y")
    path.write_text("\n".join(",".join(str(c) for c in r) for r in table) + "\n", encoding="utf-8")
    return path


BUILDERS = {"understated_dimension.xlsx": understated_dimension, "zip_bomb.xlsx": zip_bomb,
            "utf16_bom.csv": utf16_csv, "utf16_nobom.csv": lambda p: utf16_csv(p, bom=False),
            "long_field.csv": long_field_csv, "huge_people.csv": huge_people_csv,
            "bng_no_crs.gpkg": bng_gpkg_without_crs, "formula_cells.xlsx": formula_cells_xlsx,
            "markdown_heading.csv": markdown_heading_csv}


def build_all(folder: Path) -> dict[str, Path]:
    """Write every hostile file into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: build(folder / name) for name, build in BUILDERS.items()}


def ods_file(path: Path, table: list[list[object]] | None = None) -> Path:
    """A minimal OpenDocument spreadsheet written by hand (numbers as floats, the rest as text)."""
    from xml.sax.saxutils import escape

    def cell(value: object) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f'<text:p>{value}</text:p></table:table-cell>')
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>"
                   for r in (table or rows(3)))
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Sites">' + body +
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
