"""The publisher's caveats that matter, in one place for every screen, export and briefing pack.

``CAVEATS`` is the fixed text; ``caveats_for`` adds the lines whose figures or dates come from the
loaded files (the Section 4 step in March 2018, the population's own vintage, the period sources).
"""
from __future__ import annotations

import pandas as pd

from geo import text
from geo.population import lad_population_label, one_population_note

SECTION4_REASON = "N/A - Section 4 (pre-2018)"
SECTION4_FROM = pd.Timestamp("2018-03-31")
SECTION4 = ("Section 4 support had no local authority before March 2018: Asy_D11 counts those people "
            f"under '{SECTION4_REASON}', in the UK total but on no council, so every council steps up in "
            "March 2018 when they were first placed by authority.")

CAVEATS: tuple[str, ...] = (
    "Figures are provisional and may be revised in later Home Office releases.",
    "Section 98 (initial) support gained local authority geography only from December 2022; "
    "earlier Section 98 figures appear in the UK total but on no council.",
    "Hotels, initial accommodation and other contingency accommodation are published by local "
    "authority only from December 2022; earlier quarters show them as not published, not as zero.",
    "Subsistence-only support had no local geography for four quarters (December 2023 to "
    "September 2024), so council figures for those quarters leave it out.",
    "'Hotels' counts only contingency hotels (Contingency Accommodation - Hotel); other contingency "
    "sites, such as large sites, are counted separately.",
    "The 1:200 cluster limit (one supported asylum seeker in dispersed accommodation per 200 "
    "residents) comes from the 2019 memorandum between local government and the Home Office. "
    f"Councils are checked with the {lad_population_label()}, wards with Census 2021 usual residents; "
    "areas with no population figure show as 'no estimate', never zero.",
    SECTION4,
    one_population_note(),
    "Quarters after the last Asy_D11 workbook come from Reg_02 (by accommodation type, with hotels and "
    "other contingency sites together, no support type) or the quarterly totals series (total supported "
    "only); what a quarter's source does not publish reads 'not published in this release', never zero.",
)


def section4_step(stats: pd.DataFrame) -> str:
    """The Section 4 caveat with the file's own figures: people with no authority in the last quarter
    before March 2018, and how many Section 4 people councils gained that quarter."""
    before = SECTION4_FROM - pd.offsets.QuarterEnd(1)
    loose = stats[(stats["period"] == before) & (stats["unallocated_reason"] == SECTION4_REASON)]
    placed = stats[(stats["period"] == SECTION4_FROM) & stats["allocated"]
                   & (stats["support_type"] == "Section 4")]
    if loose.empty and placed.empty:
        return SECTION4
    return (f"{SECTION4} At {text.quarter_label(before)} {text.people(loose['people'].sum())} Section 4 "
            f"people had no local authority; at {text.quarter_label(SECTION4_FROM)} councils held "
            f"{text.people(placed['people'].sum())} Section 4 people.")


def caveats_for(stats: pd.DataFrame, population_vintage: str | None = None) -> list[str]:
    """Every caveat, with the lines that depend on the loaded files filled in from them."""
    label = lad_population_label(population_vintage)
    return [section4_step(stats) if c == SECTION4 else c.replace(lad_population_label(), label)
            for c in CAVEATS]


def code_move_lines(code_moves: dict[str, dict[str, str]], names: dict[str, str],
                    titles: dict[str, str], boundary_file: str) -> list[str]:
    """Plain words for each code the model moved onto the boundary vintage, so no join is silent."""
    lines = []
    for sid, moves in code_moves.items():
        listed = ", ".join(f"{names.get(new, new)} ({old} as {new})" for old, new in sorted(moves.items()))
        lines.append(f"{titles.get(sid, sid)} gives {len(moves)} authorit{'y' if len(moves) == 1 else 'ies'} "
                     f"under another vintage's code, joined to {boundary_file} by the code-change table "
                     f"(data/lad_code_changes.csv): {listed}.")
    return lines
