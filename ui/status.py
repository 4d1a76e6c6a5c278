"""The 1:200 status box every view draws (overview, presentation mode, council and ward views).

No Streamlit here, so it is tested without a session; ``ui.shell`` puts ``CSS`` on every page.
"""
from __future__ import annotations

from geo import rules

CSS = """.aam-over {border-left: 6px solid #d4351c; padding: 4px 10px; background: #fff5f3; margin: 6px 0;}
.aam-over.aam-within {border-color: #00703c; background: #f3faf6;}
.aam-over.aam-unknown {border-color: #505a5f; background: #f3f2f1;}"""


def status_box(body: str, status: str) -> str:
    """The box (``aam-over``) coloured by a ``geo.rules`` status: red over the limit, green within
    it, grey when not known (a withheld ``[c]`` too). ``body`` is HTML the caller has escaped."""
    tone = {rules.OVER: "", rules.WITHIN: " aam-within"}.get(status, " aam-unknown")
    return f"<div class='aam-over{tone}'>{body}</div>"
