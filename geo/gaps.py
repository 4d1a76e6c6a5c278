"""The four ways a figure can be missing, said the same way on every surface.

A blank, a zero and ``nan`` all read as "nothing here" to a chief executive, but each missing
figure has its own reason, and the reason changes what may be said about it:

- NOT_PUBLISHED: the quarter's file does not give this measure by authority (hotels before
  December 2022, anything but the total in the totals series, hotels alone in Reg_02);
- NOT_IN_FILE: the file gives the measure, but has no row for this authority (the totals
  series has no Barnsley or Sheffield rows before December 2025): unknown, not zero;
- WITHHELD: a small count hidden by disclosure control (fewer than 5);
- NO_ESTIMATE: no population estimate, so no rate, limit or status.

Screens, keys, tables, exports (with their notes), snapshots and the briefing all take their
words from here, so one state never reads as another, and never as 0.
"""
from __future__ import annotations

import math
from typing import Any

NOT_PUBLISHED = "not published in this release"
NOT_IN_FILE = "not in this file"
WITHHELD = "withheld (fewer than 5)"
NO_ESTIMATE = "no estimate"
STATES: tuple[str, ...] = (NOT_PUBLISHED, NOT_IN_FILE, WITHHELD, NO_ESTIMATE)

# What each state means, for the notes that travel with an export or sit under a key.
MEANINGS: dict[str, str] = {
    NOT_PUBLISHED: "the quarter's Home Office file does not give this figure by local authority",
    NOT_IN_FILE: "the quarter's file gives this figure, but has no row for the authority (unknown, not zero)",
    WITHHELD: "a count of 1 to 4 people, hidden so no one can be identified",
    NO_ESTIMATE: "no population estimate for the area, so no rate, limit or status",
}


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA: a value that needs a gap state in its place."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return True  # pandas.NA refuses to compare: it is missing


def note_lines(states: Any) -> list[str]:
    """"'not in this file': the quarter's file ... " for each state that occurs, in a fixed order."""
    present = set(states)
    return [f"'{s}': {MEANINGS[s]}." for s in STATES if s in present]
