"""Ward figures on screen, as a member may see them: the pages' one call for disclosure control.

Why: exports hid small ward counts but the ward table on screen and the map tooltips showed them
to everyone (issue 13). Members who may view site records see the figures; everyone else sees
the same ``[c]`` cells every export shows, because the hidden cells come from
``geo.disclosure.suppress`` on the full ward table (never from a filtered view), and the figures
derived from a hidden count (limit used, headroom, status) are hidden with it.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from geo import disclosure


def hidden(measures: pd.DataFrame, *, full: pd.DataFrame | None = None,
           counts: Sequence[str] | None = None) -> pd.DataFrame:
    """The hidden cells of ``measures`` (same index; a column per count or derived figure hidden)."""
    if measures.empty:
        return pd.DataFrame(index=measures.index)
    return disclosure.suppress(measures, counts=counts, full=full).mask


def ward_figures(measures: pd.DataFrame | None, *, may_view_sites: bool, full: pd.DataFrame | None = None,
                 counts: Sequence[str] | None = None) -> pd.DataFrame | None:
    """``measures`` for a table on screen: unchanged for members who may view site records,
    else with hidden cells written ``[c]``. ``full``: the unfiltered ward table they come from."""
    if measures is None or may_view_sites or measures.empty:
        return measures
    return disclosure.suppress(measures, counts=counts, full=full).as_text()


def ward_values(measures: pd.DataFrame | None, *, may_view_sites: bool, full: pd.DataFrame | None = None,
                counts: Sequence[str] | None = None) -> pd.DataFrame | None:
    """``measures`` for maps and tooltips: hidden cells blank (NaN, so a map draws them as "no
    figure"), with a ``<column>_suppressed`` flag a tooltip can turn into ``[c]``."""
    if measures is None or may_view_sites or measures.empty:
        return measures
    out = disclosure.suppress(measures, counts=counts, full=full).as_flagged()
    for col in measures.columns:  # numbers stay numbers (NaN where hidden), so maps can class them
        if pd.api.types.is_numeric_dtype(measures[col]) and not pd.api.types.is_bool_dtype(measures[col]):
            out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


def session_may_view_sites() -> bool:
    """Whether the member of this browser session may view site records (no member yet: no)."""
    from geo.access.members import Action
    from ui import auth

    who = auth.member()
    return bool(who is not None and who.may(Action.VIEW_SITES))
