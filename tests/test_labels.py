"""Map names never overlap (issue 27, finding 7): at ``ward?ward=E05011170`` "Bordesley & Highgate"
was drawn over "Bordesley Green" and "Balsall Heath West" over the selected ward's own name, and at
September 2025 "Glasgow City" covered Glasgow. Names are placed by ``geo.render.labels`` for the
map's own view: the selected one always, then the others where they fit, the rest dropped."""
from __future__ import annotations

import html
import random

import pytest

from apptest import deck_specs, run_app
from conftest import needs_shared
from geo.render import labels as LB

VIEW = {"longitude": -1.9, "latitude": 52.47, "zoom": 12.0}


def _boxes(placed: list[LB.Placed]) -> list[LB.Box]:
    return [p.box for p in placed]


def _no_overlap(boxes: list[LB.Box]) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if LB.overlaps(boxes[i], boxes[j])]


@pytest.mark.parametrize("seed", range(20))
def test_placed_names_never_overlap_and_the_first_is_always_placed(seed: int) -> None:
    rng = random.Random(seed)
    words = ["Bordesley Green", "Bordesley & Highgate", "Balsall Heath West", "Sparkhill", "Moseley",
             "Small Heath", "Tyseley & Hay Mills", "Alum Rock", "Nechells", "Ladywood", "Digbeth"]
    todo = [LB.Label(str(i), rng.choice(words), -1.9 + rng.uniform(-0.03, 0.03), 52.47 + rng.uniform(-0.02, 0.02),
                     offsets=LB.nudged(12))
            for i in range(rng.randint(2, 25))]
    rings = [LB.marker_box(-1.9 + rng.uniform(-0.03, 0.03), 52.47 + rng.uniform(-0.02, 0.02), VIEW, 18)
             for _ in range(rng.randint(0, 5))]
    placed = LB.place_labels(todo, VIEW, 12, obstacles=rings)
    assert placed[0].label is todo[0]  # the selected name, whatever else is there
    assert not _no_overlap(_boxes(placed))
    for p in placed[1:]:
        assert not any(LB.overlaps(p.box, r) for r in rings)
    assert [p.label for p in placed] == [t for t in todo if t in {p.label for p in placed}]  # order kept


def test_a_name_that_fits_nowhere_is_dropped_and_one_that_fits_below_moves() -> None:
    here = LB.Label("a", "Bordesley Green", -1.9, 52.47, offsets=LB.nudged(12))
    same = LB.Label("b", "Bordesley & Highgate", -1.9, 52.47, offsets=((0.0, 0.0),))
    near = LB.Label("c", "Sparkhill", -1.9, 52.47, offsets=LB.nudged(12))
    placed = LB.place_labels([here, same, near], VIEW, 12)
    assert [p.label.key for p in placed] == ["a", "c"]
    assert placed[1].offset != (0.0, 0.0)  # moved a line away rather than drawn over "a"


def test_a_ringed_council_is_named_beside_its_ring_not_over_it() -> None:
    view = {"longitude": -4.25, "latitude": 55.86, "zoom": 6.0}
    glasgow = LB.Label("g", "Glasgow City", -4.25, 55.86, offsets=LB.beside("Glasgow City", 14, 16))
    ring = LB.marker_box(-4.25, 55.86, view, 18)
    placed = LB.place_labels([LB.Label("x", "Somewhere", -3.0, 52.0), glasgow], view, 14, obstacles=[ring])
    assert [p.label.key for p in placed] == ["x", "g"]
    assert not LB.overlaps(placed[1].box, ring)


def test_frame_keeps_names_inside_the_map() -> None:
    far = LB.Label("f", "Far away", -1.0, 52.47)
    first = LB.Label("s", "Selected", -1.9, 52.47)
    assert [p.label.key for p in LB.place_labels([first, far], VIEW, 12, frame=(600, 400))] == ["s"]


def _text_boxes(spec: dict, layer_id: str, size: float, padding: tuple[float, float]) -> list[tuple[str, LB.Box]]:
    view = spec["initialViewState"]
    layer = next((item for item in spec["layers"] if item.get("id") == layer_id), None)
    if layer is None:
        return []
    out = []
    for p in layer["data"]:
        label = LB.Label(p["text"], p["text"], p["position"][0], p["position"][1])
        out.append((p["text"], LB.label_box(label, tuple(p.get("offset") or (0, 0)), view, size, padding)))
    return out


def _ring_boxes(spec: dict) -> list[LB.Box]:
    """The red rings as drawn: 16 px radius and a 3 px line, so 17.5 px to their outer edge."""
    view = spec["initialViewState"]
    layer = next((item for item in spec["layers"] if item.get("id") == "over-threshold-rings"), None)
    return [LB.marker_box(p["position"][0], p["position"][1], view, 17.5) for p in (layer or {}).get("data", [])]


def _covered(box: LB.Box, area: LB.Box) -> float:
    """The share of ``area`` that ``box`` covers."""
    w = max(0.0, min(box[2], area[2]) - max(box[0], area[0]))
    h = max(0.0, min(box[3], area[3]) - max(box[1], area[1]))
    whole = max((area[2] - area[0]) * (area[3] - area[1]), 1e-9)
    return w * h / whole


@needs_shared
def test_ward_map_names_do_not_overlap_and_the_ward_is_named() -> None:
    at = run_app("pages/ward.py", ward="E05011170")
    title = at.get("markdown")
    spec = deck_specs(at)[0]
    boxes = _text_boxes(spec, "ward-labels", 12, (3, 1))
    names = [n for n, _ in boxes]
    assert names and html.escape(names[0]) in " ".join(m.value for m in title)  # the selected ward's name, first
    clash = _no_overlap([b for _, b in boxes])
    assert not clash, [(names[i], names[j]) for i, j in clash]


@needs_shared
@pytest.mark.parametrize("params", [{"period": "2024-09-30"}, {"period": "2025-12-31", "present": "1"},
                                    {"period": "2024-09-30", "present": "1"}],
                         ids=["overview", "presentation-2025", "presentation-2024"])
def test_council_names_cover_no_name_no_ring_and_not_their_own_council(model, params: dict[str, str]) -> None:
    at = run_app(**params)
    spec = deck_specs(at)[0]
    size = next((item["getSize"] for item in spec["layers"] if item.get("id") == "labels"), 14)
    padding = (5, 2) if params.get("present") else (3, 1)
    boxes = _text_boxes(spec, "labels", size, padding)
    assert boxes, "no council is named"
    clash = _no_overlap([b for _, b in boxes])
    assert not clash, [(boxes[i][0], boxes[j][0]) for i, j in clash]
    rings = _ring_boxes(spec)
    covered = [name for name, b in boxes if any(LB.overlaps(b, r) for r in rings)]
    assert not covered, f"names over a red ring: {covered}"
    view = spec["initialViewState"]
    lads = model.lads.set_index("lad_name")
    hidden = []
    for name, b in boxes:  # a small council under its own name is not seen at all
        x0, y1 = LB.to_screen(*lads.loc[name].geometry.bounds[:2], view)
        x1, y0 = LB.to_screen(*lads.loc[name].geometry.bounds[2:], view)
        if _covered(b, (x0, y0, x1, y1)) > 0.5:
            hidden.append(name)
    assert not hidden, f"councils hidden under their own name: {hidden}"
