"""The sidebar menu keeps the view's quarter (issue 14).

Finding: from the overview at Sep 2024, clicking "Council view" in the menu gave
council?period=2014-03-31, and back on the overview it stuck at 31 March 2014. A menu click runs
the new page with no query parameters, as ``switch_page`` without parameters does here.
"""
from __future__ import annotations

from apptest import run_app
from conftest import needs_shared

pytestmark = needs_shared


def _menu_click(at, page: str):
    for key in list(at.query_params.keys()):
        del at.query_params[key]
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_menu_keeps_the_quarter_across_pages(model):
    chosen = model.periods[-6].date().isoformat()  # any quarter but the first and the latest
    at = run_app(None, period=chosen)
    overview = [m.value for m in at.metric]
    _menu_click(at, "pages/council.py")
    assert at.query_params.get("period") in (chosen, [chosen])
    _menu_click(at, "pages/overview.py")
    assert at.query_params.get("period") in (chosen, [chosen])
    assert [m.value for m in at.metric] == overview
    _menu_click(at, "pages/ward.py")
    assert at.query_params.get("period") in (chosen, [chosen])
