"""The one 1:200 status box (ui.status) every view draws, tested without a Streamlit session."""
from __future__ import annotations

from geo import rules
from ui.status import CSS, status_box


def test_one_status_box_coloured_by_the_rules_status() -> None:
    """Overview, presentation, council and ward views all draw their 1:200 box here: red over the
    limit, green within it, grey when the status is not known (including a withheld [c])."""
    assert status_box("<b>x</b>", rules.OVER) == "<div class='aam-over'><b>x</b></div>"
    assert status_box("y", rules.WITHIN) == "<div class='aam-over aam-within'>y</div>"
    for unknown in (rules.NO_ESTIMATE, "[c]", ""):
        assert status_box("z", unknown) == "<div class='aam-over aam-unknown'>z</div>"
    assert ".aam-over.aam-within" in CSS and ".aam-over.aam-unknown" in CSS
