"""Issue 27 finding 2: the sidebar's presentation toggle applies the whole mode on the click itself."""
from __future__ import annotations

import pytest

from apptest import run_app
from conftest import needs_shared

pytestmark = needs_shared


@pytest.mark.parametrize("page", [None, "pages/council.py"])
def test_the_toggle_draws_the_presentation_screen_at_once(model, page) -> None:
    """Before: the click added present=1 to the link but the run went on drawing the normal page
    (sidebar and its menu still there) until a reload."""
    at = run_app(page, **({"lad": "E08000012"} if page else {}))
    assert not at.session_state["_view"].present
    at.toggle(key="w_present").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["_view"].present
    assert at.query_params.get("present") in ("1", ["1"])
    keys = {b.key for b in at.button}
    assert keys & {"leave_present", "leave_present_top"}  # the way out of the mode is drawn
    assert not at.get("expander")  # no export panel in the mode
    if page is None:
        assert {"present_prev", "present_next"} <= keys  # the overview's presentation screen itself
