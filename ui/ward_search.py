"""Ward search for the ward page: nothing about the 8,441 wards reaches the browser until someone types.

Why: a select box holding every ward sent 349 KB (and again on every ward change) before anyone
had typed a letter (issue 17). Here the page asks for text and offers only the wards it matches,
so the list stays a few hundred bytes however many wards are loaded.
"""
from __future__ import annotations

import streamlit as st

MIN_CHARS = 2
LIMIT = 12


def match_wards(labels: dict[str, str], query: str, limit: int = LIMIT) -> tuple[dict[str, str], int]:
    """(up to ``limit`` wards whose label holds every word of ``query``, how many match in all).

    A code typed whole comes first, then names that start with the query, then the rest, each in
    the labels' own order (ward name, then council). Under ``MIN_CHARS`` letters matches nothing.
    """
    words = query.casefold().split()
    if len("".join(words)) < MIN_CHARS:
        return {}, 0
    whole = query.strip().casefold()
    ranked: list[tuple[int, int, str]] = []
    for order, (code, label) in enumerate(labels.items()):
        text = label.casefold()
        if all(w in text for w in words):
            rank = 0 if code.casefold() == whole else 1 if text.startswith(whole) else 2
            ranked.append((rank, order, code))
    ranked.sort()
    return {code: labels[code] for _, _, code in ranked[:limit]}, len(ranked)


def ward_finder(labels: dict[str, str], current: str | None) -> str | None:
    """A text box, then the matching wards as buttons; returns the ward picked (or ``current``)."""
    qcol, pcol = st.columns([1, 2], vertical_alignment="bottom")
    query = qcol.text_input(f"Find a ward ({len(labels):,} wards)", key="ward_query",
                            placeholder="Ward name, council or code, then Enter",
                            help="Type at least two letters of a ward's name, its council or its code.")
    found, total = match_wards(labels, query)
    if not query.strip():
        return current
    if not found:
        pcol.caption("No ward matches that. Try fewer letters, or the council's name." if len(query.strip())
                     >= MIN_CHARS else "Type at least two letters.")
        return current
    more = f" (the first {len(found)}; type more to narrow)" if total > len(found) else ""
    pick = pcol.pills(f"{total:,} matching ward{'s' if total != 1 else ''}{more}", list(found),
                      format_func=lambda code: found.get(code, code), selection_mode="single",
                      key=f"ward_pick_{current}")
    return pick or current
