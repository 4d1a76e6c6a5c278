"""Which Home Office table a file holds, read from its content, not trusted from its name.

GOV.UK's file names are easy to confuse: ``asylum-seekers-receipt-support-datasets-*.xlsx`` is
Asy_D09 (support by nationality, no local authorities), while Asy_D11 (support by local
authority) is ``support-local-authority-datasets-*.xlsx``. A file is accepted for a source only
when its sheets say it is that table; anything else is refused with one line naming what it is and
which file to use instead.
"""
from __future__ import annotations

import re
from pathlib import Path

from geo.errors import DataError

# Sheet name (without spaces, dashes and underscores, lower case) -> source id this product reads.
READ_SHEETS: dict[str, str] = {"dataasyd11": "asy_d11", "reg02": "reg02", "datares01": "res_d01",
                               "dataresd01": "res_d01"}
# Tables the Home Office publishes that this product does not read, and what they are.
OTHER_TABLES: dict[str, str] = {
    "asy_d01": "Asy_D01, asylum applications",
    "asy_d02": "Asy_D02, outcomes of asylum applications",
    "asy_d03": "Asy_D03, asylum seekers awaiting a decision",
    "asy_d04": "Asy_D04, outcomes of appeals",
    "asy_d05": "Asy_D05, unaccompanied children's applications",
    "asy_d06": "Asy_D06, age disputes",
    "asy_d07": "Asy_D07, asylum applications by dependants",
    "asy_d08": "Asy_D08, asylum applications received and withdrawn",
    "asy_d09": "Asy_D09, asylum seekers in receipt of support by nationality (no local authorities)",
    "asy_d10": "Asy_D10, support applications",
    "res_d02": "Res_D02, resettlement by nationality",
}
# What to use instead, per source this product reads.
WANTED: dict[str, str] = {
    "asy_d11": "Asy_D11 is support-local-authority-datasets-<mon>-<yyyy>.xlsx (sheet Data_Asy_D11) from "
               "https://www.gov.uk/government/statistical-data-sets/asylum-and-resettlement-datasets",
    "reg02": "Reg_02 is regional-and-local-authority-dataset-<mon>-<yyyy>.ods (table Reg_02) from "
             "https://www.gov.uk/government/statistical-data-sets/regional-and-local-authority-data-on-immigration-groups",
    "res_d01": "Res_D01 is resettlement-local-authority-datasets-<mon>-<yyyy>.xlsx (sheet Data_Res_D01) from "
               "https://www.gov.uk/government/statistical-data-sets/asylum-and-resettlement-datasets",
}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


def _squeeze(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def tables_in(sheet_names: list[str]) -> tuple[set[str], set[str]]:
    """(source ids this product reads, other Home Office tables) named by a workbook's sheets."""
    ours: set[str] = set()
    others: set[str] = set()
    for name in sheet_names:
        squeezed = _squeeze(name)
        if squeezed in READ_SHEETS:
            ours.add(READ_SHEETS[squeezed])
        m = re.search(r"(asy|res|reg)d?(\d{2})", squeezed)
        if m:
            key = f"{m.group(1)}_d{m.group(2)}" if m.group(1) != "reg" else f"reg_{m.group(2)}"
            if key in OTHER_TABLES:
                others.add(key)
    return ours, others


def refuse_other(path: Path, source_id: str, sheet_names: list[str]) -> None:
    """Raise the one-line refusal when a workbook is another Home Office table than `source_id`."""
    ours, others = tables_in(sheet_names)
    if source_id in ours:
        return
    if others:
        what = OTHER_TABLES[sorted(others)[0]]
        raise DataError(f"this file is {what}, not {_title(source_id)}; use {WANTED.get(source_id, 'the right file')}",
                        file=path)
    raise DataError(f"this file is not a table this product reads (sheets: {', '.join(sheet_names[:6])}); "
                    f"{WANTED.get(source_id, '')}", file=path)


def _title(source_id: str) -> str:
    return {"asy_d11": "Asy_D11", "reg02": "Reg_02", "res_d01": "Res_D01"}.get(source_id, source_id)


def check_workbook(path: Path, source_id: str) -> None:
    """Refuse a workbook offered as `source_id` whose sheets show it is another table (see check_sheets)."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or source_id not in WANTED:
        return
    from geo import reading

    check_sheets(path, source_id, list(reading.open_workbook(path, reading.DATA).sheet_names))


def check_sheets(path: Path, source_id: str, names: list[str]) -> None:
    """Refuse a workbook whose sheet names show it is another table than `source_id`.

    Only sheet names are read, so this costs little; a workbook with no telling sheet name is left
    for its reader (which looks for the table's header row) to accept or refuse.
    """
    ours, others = tables_in(names)
    if source_id in ours or not (ours or others):
        return
    if others:
        refuse_other(path, source_id, names)
    found = sorted(ours)[0]
    raise DataError(f"this file is {_title(found)}, not {_title(source_id)}; use {WANTED[source_id]}", file=path)
