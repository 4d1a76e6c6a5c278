"""Presentation mode names the councils that matter (issue 17: only councils over the limit were
named, so a regional map such as the North West had no names at all), and names never overlap."""
from __future__ import annotations

import pandas as pd

from apptest import deck_specs, run_app
from conftest import needs_shared
from ui.present import LARGEST, label_codes


def _table() -> pd.DataFrame:
    return pd.DataFrame({"lad_code": list("ABCDEFGH"), "lad_name": [f"Council {c}" for c in "ABCDEFGH"],
                         "supported": [10, 900, 50, 700, None, 300, 800, 20]})


def test_names_over_the_limit_then_the_largest_then_the_one_chosen() -> None:
    table = _table()
    over, named = label_codes(table, table[table["lad_code"] == "C"], chosen="A")
    assert over == ["C"]
    assert named[:LARGEST] == ["B", "G", "D", "F", "H"][:LARGEST]  # by people supported, over-limit left out
    assert named[-1] == "A" and len(named) == LARGEST + 1
    assert label_codes(table, table.iloc[:0], chosen="B")[1] == ["B", "G", "D", "F", "C"][:LARGEST]


def _deck_labels(at) -> list[str]:
    spec = deck_specs(at)[0]
    layers = [layer for layer in spec["layers"] if layer.get("id") == "labels"]
    return [p["text"] for p in layers[0]["data"]] if layers else []


@needs_shared
def test_a_regional_presentation_map_names_its_largest_councils(model) -> None:
    from geo.measures import lad_table

    period = model.periods[-1]
    table = lad_table(model, period)
    region = table[table["region"] == "North West"]
    largest = region.dropna(subset=["supported"]).sort_values("supported", ascending=False)["lad_name"].iloc[0]
    at = run_app(present="1", region="North West")
    names = _deck_labels(at)
    assert names, "the North West map names no council"
    assert largest in names
    assert set(names) <= set(region["lad_name"])
