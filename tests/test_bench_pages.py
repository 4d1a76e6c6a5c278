"""The page benchmark compares like with like (issue 27, finding 12): an independent harness found
the first map at 1.12x a stock page cold where the README said 0.97x, because bench/pages.py ran all
baseline repeats before all app repeats, drew the baseline map at three times the app's area and
read the per-session memory after a warm-up."""
from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from apptest import deck_specs
from conftest import ROOT, needs_shared


def _bench():
    spec = importlib.util.spec_from_file_location("bench_pages", ROOT / "bench" / "pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pages"] = module
    spec.loader.exec_module(module)
    return module


def test_runs_are_interleaved_app_first() -> None:
    assert _bench().schedule(3) == ["app", "minimal"] * 3


def test_summary_reports_median_and_spread() -> None:
    got = _bench().summary([{"cold_map": 5.0}, {"cold_map": 7.0}, {"cold_map": 6.0}, {"cold_map": float("nan")}])
    assert got["cold_map"] == (6.0, 5.0, 7.0)


@needs_shared
def test_the_minimal_page_draws_its_map_at_the_apps_size(monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    env = _bench().size_matched(400, 533)
    monkeypatch.setenv("AAM_BENCH_MAP", env["AAM_BENCH_MAP"])
    at = AppTest.from_file(str(ROOT / "bench" / "minimal_app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    chart = at.get("deck_gl_json_chart")[0].proto
    width, height, lat, lon, zoom = (float(v) for v in env["AAM_BENCH_MAP"].split(","))
    assert (width, height) == (400, 533)  # the map's size in px, given to st.pydeck_chart
    view = json.loads(chart.json)["initialViewState"]
    assert view["zoom"] == pytest.approx(zoom) and view["latitude"] == pytest.approx(lat)
    assert len(deck_specs(at)[0]["layers"][0]["data"]["features"]) == 361  # the same councils as the app
