"""Run the real app under streamlit.testing with a link's query parameters, as a user opening it."""
from __future__ import annotations

from conftest import ROOT

APP = str(ROOT / "app.py")
TIMEOUT = 240


def run_app(page: str | None = None, **params: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at
