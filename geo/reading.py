"""One bounded way to open the files the product reads: sizes capped, zips checked, text decoded.

Why: councils load whatever spreadsheets they have, and a file must be read whole or refused
with a reason. Every reader (site files, Asy_D11 and the Home Office CSVs, boundaries, postcode
directories) opens its file through here, so that:

- a file over its size cap, or with more rows than the row cap, is refused with one line saying
  which setting to raise (caps are environment variables, read on every call);
- an ``.xlsx``, ``.ods`` or zipped Shapefile is refused *before it is opened* when its declared
  uncompressed size, or its compression ratio, says zip bomb;
- text is decoded by evidence: a byte-order mark, then UTF-16 without a BOM (NUL bytes in every
  other position), then strict UTF-8, and only then Windows-1252, which is named as a guess;
- the csv module's field limit (128 KB by default) is raised to the file-size cap, so one long
  field is read rather than crashing the reader;
- every failure is a :class:`geo.errors.DataError` naming file, row and column.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

MB = 1 << 20
# Settings: name -> (default, what it bounds). Kinds of file have their own size caps because a
# council's site file and the 2.7-million-row postcode directory differ by orders of magnitude.
SETTINGS: dict[str, tuple[float, str]] = {
    # a 1,000,000-row CSV of sites is about 140 MB, and a CSV is streamed in chunks (geo.sites.chunks)
    "AAM_MAX_SITE_FILE_MB": (200, "size of a site file (also the app's upload limit)"),
    "AAM_MAX_DATA_FILE_MB": (2048, "size of an official data file or postcode directory"),
    "AAM_MAX_ROWS": (1_000_000, "rows read from a site file or statistics table"),
    "AAM_MAX_UNZIPPED_MB": (1024, "declared uncompressed size of an .xlsx, .ods or zipped Shapefile"),
    "AAM_MAX_ZIP_RATIO": (200, "compression ratio of an .xlsx, .ods or zipped Shapefile"),
}
ZIPPED_SUFFIXES = {".xlsx", ".xlsm", ".ods", ".zip"}
SITE = "site"
DATA = "data"


def setting(name: str) -> float:
    """The value of one cap: the environment variable if set and valid, else its default."""
    default, _ = SETTINGS[name]
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise DataError(f"setting {name}={raw!r} is not a number") from None
    if value <= 0:
        raise DataError(f"setting {name}={raw!r} must be above zero")
    return value


def max_bytes(kind: str = SITE) -> int:
    """The size cap for a kind of file, in bytes."""
    name = "AAM_MAX_SITE_FILE_MB" if kind == SITE else "AAM_MAX_DATA_FILE_MB"
    return int(setting(name) * MB)


def max_rows() -> int:
    """The row cap for tables read here."""
    return int(setting("AAM_MAX_ROWS"))


def _mb(n: float) -> str:
    return f"{n / MB:,.1f} MB"


def check_size(path: Path, kind: str = SITE) -> int:
    """The file's size, or a DataError when it is missing or over its cap (naming the setting)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=path)
    size = path.stat().st_size
    cap = max_bytes(kind)
    if size > cap:
        name = "AAM_MAX_SITE_FILE_MB" if kind == SITE else "AAM_MAX_DATA_FILE_MB"
        raise DataError(f"the file is {_mb(size)}, over the {_mb(cap)} limit "
                        f"(set {name} to allow larger files)", file=path)
    return size


def check_zip(path: Path) -> None:
    """Refuse a zipped container whose declared uncompressed size or ratio says zip bomb.

    The central directory is read (a few KB) and nothing is decompressed, so a 4 MB bomb that
    would expand to gigabytes costs nothing to refuse.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        kind = "a spreadsheet" if path.suffix.lower() != ".zip" else "a zip archive"
        raise DataError(f"not {kind} (the zip container cannot be read: {exc})", file=path) from None
    declared = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    cap = setting("AAM_MAX_UNZIPPED_MB") * MB
    ratio_cap = setting("AAM_MAX_ZIP_RATIO")
    if declared > cap:
        raise DataError(f"the file would expand to {_mb(declared)}, over the {_mb(cap)} limit "
                        "(set AAM_MAX_UNZIPPED_MB to allow it)", file=path)
    worst = max(members, key=lambda m: m.file_size / max(m.compress_size, 1), default=None)
    if worst is not None and worst.file_size > 10 * MB:
        ratio = worst.file_size / max(worst.compress_size, 1)
        if ratio > ratio_cap:
            raise DataError(f"part {worst.filename} would expand {ratio:,.0f} times, over the limit of "
                            f"{ratio_cap:,.0f} (a zip bomb?; set AAM_MAX_ZIP_RATIO to allow it)", file=path)
    if declared > 10 * MB and declared / packed > ratio_cap:
        raise DataError(f"the file would expand {declared / packed:,.0f} times, over the limit of "
                        f"{ratio_cap:,.0f} (a zip bomb?; set AAM_MAX_ZIP_RATIO to allow it)", file=path)
    _verify_declared_sizes(path)


def _verify_declared_sizes(path: Path) -> None:
    """Decompress every part in 1 MB steps, never holding it: Python's zip reader stops at the
    declared size and checks the CRC, so a directory that understates a part (to slip past the
    checks above) is refused here rather than expanded by the spreadsheet library."""
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                with archive.open(member) as part:
                    while part.read(MB):
                        pass
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise DataError(f"the zip container is damaged or lies about its sizes ({exc})", file=path) from None


def check_file(path: Path, kind: str = SITE) -> int:
    """Size cap, then (for zipped formats) the zip-bomb check; returns the size in bytes."""
    size = check_size(path, kind)
    if Path(path).suffix.lower() in ZIPPED_SUFFIXES:
        check_zip(path)
    return size


# --------------------------------------------------------------------------- text

@dataclass(frozen=True)
class Decoded:
    """Text, the encoding that read it, and whether that encoding is a guess (cp1252)."""

    text: str
    encoding: str
    guessed: bool = False

    @property
    def label(self) -> str:
        return f"{self.encoding} (a guess: the file is not UTF-8 or UTF-16)" if self.guessed else self.encoding


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit in every other byte, as in mostly-ASCII UTF-16 text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _offset_row(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def decode(data: bytes, file: str | Path | None = None) -> Decoded:
    """Decode by evidence: BOM, UTF-16 without BOM, strict UTF-8, then cp1252 marked as a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise DataError(f"the file starts with a {encoding} byte-order mark but is not valid "
                                f"{encoding} (byte {exc.start})", file=file,
                                row=_offset_row(data, exc.start)) from None
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return Decoded(data.decode(utf16), utf16)
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(data.decode("cp1252"), "cp1252", guessed=True)
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8D...): latin-1 reads all
        return Decoded(data.decode("latin-1"), "latin-1", guessed=True)


def read_text(path: Path, kind: str = SITE) -> Decoded:
    """The whole file as text, after the size check."""
    check_size(path, kind)
    return decode(Path(path).read_bytes(), file=path)


def _raise_field_limit(kind: str) -> None:
    """csv's default 128 KB field limit crashes on long fields; the file-size cap is the real bound."""
    want = max_bytes(kind)
    if csv.field_size_limit() < want:
        csv.field_size_limit(want)


def sniff_delimiter(text: str) -> str:
    """The delimiter of the first lines (comma, semicolon, tab or bar); comma when unsure."""
    sample = "\n".join(text[:65536].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def csv_rows(text: str, file: str | Path | None = None, *, delimiter: str | None = None,
             kind: str = SITE) -> list[list[str]]:
    """Every record of CSV text, with the row cap and the raised field limit; errors name the row."""
    _raise_field_limit(kind)
    delimiter = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    cap = max_rows()
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > cap + 1:  # + 1 for the header
                raise DataError(f"more than {cap:,} rows (set AAM_MAX_ROWS to allow more)", file=file,
                                row=reader.line_num)
    except csv.Error as exc:
        raise DataError(f"cannot read as CSV ({exc})", file=file, row=max(reader.line_num, 1)) from None
    return rows


def text_stream(path: Path, kind: str = DATA) -> tuple[io.TextIOBase, Decoded]:
    """A text stream for large CSVs read in chunks (postcode directories): encoding detected from
    the first 64 KB, so the whole file never has to sit in memory."""
    check_size(path, kind)
    _raise_field_limit(kind)
    with open(path, "rb") as handle:
        head = handle.read(65536)
    probe = decode(head[:-4] if len(head) == 65536 else head, file=path)  # may cut a character
    encoding = probe.encoding
    if encoding == "utf-8":
        encoding = "utf-8-sig"
    return open(path, encoding=encoding, errors="strict", newline=""), probe


# --------------------------------------------------------------------------- workbooks

def open_workbook(path: Path, kind: str = SITE) -> Any:
    """A calamine workbook (.xlsx, .xlsm, .xls, .ods) after the size and zip-bomb checks.

    calamine reads every cell whatever the sheet's ``<dimension>`` tag claims.
    """
    from python_calamine import CalamineWorkbook

    check_file(path, kind)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for non-workbooks
        raise DataError(f"not a readable spreadsheet ({exc.__class__.__name__}: {exc})", file=path) from None


def sheet_rows(workbook: Any, sheet: str, file: str | Path | None = None) -> list[list[Any]]:
    """Rows from A1, empty cells as None, so list index + 1 is the spreadsheet row; row cap applied."""
    try:
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise DataError(f"cannot read the sheet ({exc.__class__.__name__}: {exc})", file=file,
                        sheet=sheet) from None
    cap = max_rows()
    if len(rows) > cap + 1:
        raise DataError(f"more than {cap:,} rows (set AAM_MAX_ROWS to allow more)", file=file, sheet=sheet)
    return [[None if c == "" else c for c in row] for row in rows]


def xlsx_rows(path: Path, sheet: str | None = None) -> tuple[str, list[list[Any]]]:
    """(sheet title, rows) of an .xlsx/.xlsm with openpyxl, keeping Excel's own types (whole
    numbers as int, dates as datetimes), reading every row whatever ``<dimension>`` says."""
    from openpyxl import load_workbook

    check_file(path, SITE)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise DataError(f"cannot open as an Excel workbook ({exc.__class__.__name__}: {exc})", file=path) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise DataError(f"no sheet '{sheet}' (sheets: {', '.join(book.sheetnames)})", file=path)
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # the read-only reader otherwise stops where <dimension> says
        cap = max_rows()
        rows: list[list[Any]] = []
        try:
            for values in ws.iter_rows(min_row=1, values_only=True):
                rows.append(list(values))
                if len(rows) > cap + 1:
                    raise DataError(f"more than {cap:,} rows (set AAM_MAX_ROWS to allow more)", file=path,
                                    sheet=ws.title)
        except DataError:
            raise
        except Exception as exc:  # a broken sheet part: say where we stopped
            raise DataError(f"cannot read the sheet ({exc.__class__.__name__}: {exc})", file=path,
                            sheet=ws.title, row=len(rows) + 1) from None
        return ws.title, rows
    finally:
        book.close()



# --------------------------------------------------------------------------- tables for pandas

def read_csv_table(path: Path, kind: str = DATA, **pandas_kwargs: Any) -> pd.DataFrame:
    """A whole CSV as a pandas frame, through the size cap, encoding detection and row cap.

    For the statistics and lookup files (Reg_02, the quarterly series, ward lookups and
    populations); parser failures become one DataError naming the file and, where pandas says
    it, the row.
    """
    import re as _re

    import pandas as pd

    decoded = read_text(path, kind)
    _raise_field_limit(kind)
    try:
        frame = pd.read_csv(io.StringIO(decoded.text), **pandas_kwargs)
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", file=path) from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        match = _re.search(r"line (\d+)", str(exc))
        raise DataError(f"cannot read as CSV ({' '.join(str(exc).split())})", file=path,
                        row=int(match.group(1)) if match else None) from None
    if len(frame) > max_rows():
        raise DataError(f"more than {max_rows():,} rows (set AAM_MAX_ROWS to allow more)", file=path)
    frame.attrs["encoding"] = decoded.encoding
    return frame


def csv_chunks(path: Path, kind: str = DATA, **pandas_kwargs: Any) -> Iterator[pd.DataFrame]:
    """pandas chunks of a large CSV (postcode directories) through the size cap and encoding
    detection; the file is closed when the chunks run out, and failures are DataErrors."""
    import pandas as pd

    stream, _ = text_stream(path, kind)
    with stream:
        try:
            yield from pd.read_csv(stream, **pandas_kwargs)
        except pd.errors.EmptyDataError:
            raise DataError("the file is empty", file=path) from None
        except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"cannot read as CSV ({' '.join(str(exc).split())})", file=path) from None


def csv_header(path: Path, kind: str = DATA) -> list[str]:
    """The column names of a CSV, read through the same checks as ``csv_chunks``."""
    import pandas as pd

    stream, _ = text_stream(path, kind)
    with stream:
        try:
            return [str(c) for c in pd.read_csv(stream, nrows=0).columns]
        except pd.errors.EmptyDataError:
            raise DataError("the file is empty", file=path) from None
        except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"cannot read as CSV ({' '.join(str(exc).split())})", file=path) from None
