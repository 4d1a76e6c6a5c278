"""Charts break their line where a quarter is not published (issue 27, finding 11): the council's
dispersal chart drew a straight line from September 2024 to December 2025 across the quarters whose
files publish no dispersal figure by council."""
from __future__ import annotations

import json

import pandas as pd

from apptest import run_app
from conftest import needs_shared

BIRMINGHAM = "E08000025"


def _charts(at) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """Every Vega-Lite chart on the page: its spec and its datasets by name."""
    import pyarrow as pa
    from streamlit.testing.v1.element_tree import UnknownElement

    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if isinstance(child, UnknownElement) and child.type == "vega_lite_chart":
                data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in child.proto.datasets}
                found.append((json.loads(child.proto.spec), data))
            walk(child)

    walk(at._tree)
    return found


def _lines(spec: dict) -> list[dict]:
    return [layer for layer in spec.get("layer", [spec]) if (layer.get("mark") or {}).get("type") == "line"]


def _inner_gap(values: pd.Series) -> bool:
    """Whether a null lies between two published values (where a joined-up line would lie)."""
    known = values.notna().to_numpy().nonzero()[0]
    return bool(len(known) >= 2 and values.iloc[known[0]:known[-1] + 1].isna().any())


@needs_shared
def test_council_charts_break_where_a_quarter_is_not_published() -> None:
    at = run_app("pages/council.py", lad=BIRMINGHAM)
    checked = []
    for spec, data in _charts(at):
        for layer in _lines(spec):
            field = layer["encoding"]["y"]["field"]
            frame = data[layer["data"]["name"]].sort_values("quarter")
            if field not in ("limit_used", "people"):
                continue
            checked.append(field)
            assert layer["mark"].get("invalid") != "filter", "nulls would be left out and the line joined up"
            groups = frame.groupby("series")[field] if "series" in frame.columns else [("", frame[field])]
            assert any(_inner_gap(values.reset_index(drop=True)) for _, values in groups), \
                f"{field}: the unpublished quarters were dropped, so the line is drawn across them"
    assert sorted(checked) == ["limit_used", "people"]
