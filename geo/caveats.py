"""The publisher's caveats that matter, in one place for every screen, export and briefing pack."""
from __future__ import annotations

CAVEATS: tuple[str, ...] = (
    "Figures are provisional and may be revised in later Home Office releases.",
    "Section 98 (initial) support gained local authority geography only from December 2022; "
    "earlier Section 98 figures appear in the UK total but on no council.",
    "Hotels, initial accommodation and other contingency accommodation are published by local "
    "authority only from December 2022; earlier quarters show them as not published, not as zero.",
    "Subsistence-only support had no local geography for five quarters (December 2023 to "
    "September 2024), so council figures for those quarters leave it out.",
    "'Hotels' counts only contingency hotels (Contingency Accommodation - Hotel); other contingency "
    "sites, such as large sites, are counted separately.",
    "The 1:200 cluster limit (one supported asylum seeker in dispersed accommodation per 200 "
    "residents) comes from the 2019 memorandum between local government and the Home Office. "
    "Councils are checked with the population the Home Office publishes in Reg_02, wards with "
    "Census 2021 usual residents; areas with no population figure show as 'no estimate', never zero.",
)


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
