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


def deck_specs(at) -> list[dict]:
    """Every map's deck JSON in the run, parsed: ``st.pydeck_chart`` elements and the app's own map
    component (ui/deck_component.py), in page order within each kind."""
    import json

    specs = [json.loads(e.proto.json) for e in at.get("deck_gl_json_chart")]
    for element in at.get("component_instance"):
        args = json.loads(element.proto.json_args or "{}")
        if "spec" in args:
            specs.append(json.loads(args["spec"]))
    return specs


def deck_texts(at) -> list[str]:
    """What each map sends the browser, as text (its deck JSON and, for the component, its other
    arguments): for tests that look for what must not reach a member."""
    texts = [str(e.proto) for e in at.get("deck_gl_json_chart")]
    texts += [e.proto.json_args for e in at.get("component_instance")]
    return texts
