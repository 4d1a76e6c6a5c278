"""How a metric card shows its change: no Streamlit here, so it is tested without a session."""
from __future__ import annotations

import pandas as pd

from geo import text


def delta_style(change: float | None, delta: str | None, *, inverse: bool = False) -> tuple[str, str]:
    """(arrow, colour) for a metric's change, from the number itself.

    Streamlit reads the direction from the delta's text, and geo.text writes a true minus sign
    (U+2212) that it does not recognise: left to "auto", a fall would get an up arrow and, with
    inverse colours, the colour of a rise. "no change" gets neither arrow nor colour.
    """
    if delta is None or delta == text.NO_CHANGE or change is None or pd.isna(change):
        return "off", "off"
    falling = float(change) < 0
    arrow = "down" if falling else "up"
    if not inverse:
        return arrow, "off"
    return arrow, "green" if falling else "red"
