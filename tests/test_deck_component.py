"""The app's own map component (issue 17: a quarter change resent all 458 KB of council geometry
and deck.gl re-tessellated every boundary): geometry goes to a content-named file once, the deck
JSON carries properties only, and only boundary polygons ever leave that way."""
from __future__ import annotations

import hashlib
import json
import os
import time

import pydeck as pdk

from apptest import deck_specs, run_app
from conftest import needs_shared
from ui import deck_component as D


def _square(x: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]}


def _areas(n: int, colour: int = 0) -> dict:
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": _square(i), "properties": {"code": f"E{i}", "fill": colour}}
                         for i in range(n)]}


def _deck(*layers: pdk.Layer) -> pdk.Deck:
    return pdk.Deck(layers=list(layers), map_provider=None, tooltip={"html": "{code}"})


def test_the_served_folder_holds_the_page_its_script_and_pydecks_deck_gl(tmp_path) -> None:
    folder = D.served_folder(tmp_path)
    assert {p.name for p in folder.iterdir()} >= {"index.html", "deck_map.js", "deck.js"}
    assert (folder / "deck.js").read_bytes() == D.deck_bundle().read_bytes()
    (folder / "deck_map.js").write_text("stale")  # an older copy is replaced on the next start
    D.served_folder(tmp_path)
    assert (folder / "deck_map.js").read_bytes() == (D.SOURCE / "deck_map.js").read_bytes()


def test_boundary_geometry_goes_to_a_file_and_the_json_keeps_properties(tmp_path) -> None:
    areas = pdk.Layer("GeoJsonLayer", data=_areas(60), id="authorities")
    args = D.deck_args(_deck(areas), height=500, folder=tmp_path)
    spec = json.loads(args["spec"])
    data = spec["layers"][0]["data"]
    assert "coordinates" not in args["spec"]
    assert [f["properties"]["code"] for f in data["features"]] == [f"E{i}" for i in range(60)]
    stored = json.loads((tmp_path / "geometry" / f"{data['geometryKey']}.json").read_text())
    assert stored == [_square(i) for i in range(60)]  # in feature order
    assert json.loads(args["tooltip"]) == {"html": "{code}"}


def test_the_same_geometry_keeps_its_key_and_other_geometry_gets_another(tmp_path) -> None:
    first = _areas(60, colour=1)
    again = _areas(60, colour=2)  # new colours, new objects, the same shapes
    moved = _areas(61)

    def key(data: dict) -> str:
        spec = json.loads(D.deck_args(_deck(pdk.Layer("GeoJsonLayer", data=data, id="a")), height=1,
                                      folder=tmp_path)["spec"])
        return spec["layers"][0]["data"]["geometryKey"]

    assert key(first) == key(again) != key(moved)
    assert len(list((tmp_path / "geometry").iterdir())) == 2


def test_a_key_cannot_be_worked_out_from_public_shapes(tmp_path) -> None:
    """The files are served without sign-in: a key must not be the plain hash of the shapes, or a
    guessed set of wards could be checked for by asking for its file."""

    data = _areas(60)
    spec = json.loads(D.deck_args(_deck(pdk.Layer("GeoJsonLayer", data=data, id="a")), height=1,
                                  folder=tmp_path)["spec"])
    body = json.dumps([f["geometry"] for f in data["features"]], separators=(",", ":")).encode()
    assert spec["layers"][0]["data"]["geometryKey"] not in hashlib.sha256(body).hexdigest()


def test_unused_geometry_files_are_swept_and_files_in_use_renewed(tmp_path) -> None:
    """Keys change with each server's secret: old files must not pile up across restarts."""
    geometry = tmp_path / "geometry"
    geometry.mkdir()
    old, new = geometry / "old.json", geometry / "new.json"
    for path in (old, new):
        path.write_text("[]")
    week_ago = time.time() - 7 * 24 * 3600
    os.utime(old, (week_ago, week_ago))
    assert D.sweep(geometry) == 1
    assert not old.exists() and new.exists()

    data = _areas(60)
    spec = json.loads(D.deck_args(_deck(pdk.Layer("GeoJsonLayer", data=data, id="a")), height=1,
                                  folder=tmp_path)["spec"])
    used = geometry / f"{spec['layers'][0]['data']['geometryKey']}.json"
    os.utime(used, (week_ago, week_ago))
    D.deck_args(_deck(pdk.Layer("GeoJsonLayer", data=data, id="a")), height=1, folder=tmp_path)
    assert used.stat().st_mtime > week_ago + 3600  # drawn again: renewed, so the next sweep keeps it
    used.unlink()
    D.deck_args(_deck(pdk.Layer("GeoJsonLayer", data=data, id="a")), height=1, folder=tmp_path)
    assert used.exists()  # removed by another server's sweep: written again


def test_points_small_layers_and_private_maps_stay_inline(tmp_path) -> None:
    sites = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(i), 0.0]}, "properties": {"ref": i}}
        for i in range(80)]}
    layers = [pdk.Layer("GeoJsonLayer", data=sites, id="sites"),
              pdk.Layer("GeoJsonLayer", data=_areas(D.MIN_SHARED - 1), id="few")]
    spec = json.loads(D.deck_args(_deck(*layers), height=1, folder=tmp_path)["spec"])
    assert all("geometryKey" not in layer["data"] for layer in spec["layers"])
    assert not (tmp_path / "geometry").exists()
    inline = json.loads(D.deck_args(_deck(pdk.Layer("GeoJsonLayer", data=_areas(60), id="a")), height=1)["spec"])
    assert "geometryKey" not in inline["layers"][0]["data"]  # public_geometry off: nothing leaves as a file


def test_the_deck_itself_is_not_changed(tmp_path) -> None:
    data = _areas(60)
    deck = _deck(pdk.Layer("GeoJsonLayer", data=data, id="a"))
    D.deck_args(deck, height=1, folder=tmp_path)
    assert deck.layers[0].data["features"][0]["geometry"] == _square(0)


@needs_shared
def test_a_quarter_change_sends_no_council_geometry() -> None:
    """Regression (issue 17): each quarter change resent every council's coordinates."""
    at = run_app()
    at.select_slider[0].set_value(at.select_slider[0].options[-2]).run()
    assert not at.exception
    args = [json.loads(e.proto.json_args) for e in at.get("component_instance")]
    national = next(a for a in args if "spec" in a)
    spec = national["spec"] if isinstance(national["spec"], dict) else json.loads(national["spec"])
    inline = {layer["id"]: len(json.dumps(layer)) for layer in spec["layers"] if "coordinates" in json.dumps(layer)}
    # Only the few councils over 1:200 (their red outline, a small layer) may travel inline: the 361
    # councils' shapes stay in the browser (at 30 September 2024 Glasgow's outline is about 2 KB).
    assert set(inline) <= {"over-threshold"} and sum(inline.values()) < 20_000, inline
    layer = next(layer for layer in deck_specs(at)[0]["layers"] if layer["id"] == "authorities")
    assert len(layer["data"]["features"]) > 300 and layer["data"]["geometryKey"]
