"""The app's own map element: a pydeck deck drawn by deck.gl in a Streamlit component that keeps
each layer's geometry in the browser between reruns.

Why not ``st.pydeck_chart``: on every rerun it rebuilds the whole deck from its JSON, so a quarter
change re-tessellates all 361 council boundaries (on a laptop without a GPU that is most of the
redraw). This component takes the same deck JSON, but when a layer's geometry is unchanged it
swaps in the new properties and asks deck.gl to refresh only the colours and tooltips
(``ui/map_component/deck_map.js``).

deck.gl itself is the bundle pydeck ships (``pydeck/nbextension/static/index.js``, deck.gl 9), so
nothing is fetched from a CDN and nothing is built at install. Streamlit serves a component's
files from one folder and refuses symlinks out of it, so the bundle and our two files are copied
into the cache folder once per server process (``served_folder``).

Boundary geometry is sent once, not on every rerun. With ``public_geometry=True`` a layer of
50 or more ONS boundary polygons has its geometry written to a file in the served folder named by
a keyed hash of its content (``geometry/<key>.json``), and the deck JSON carries only the key and
each feature's properties; the browser fetches the file once and caches it. Only polygons of published
boundaries go that way, never points or figures: what a member may see (the properties, site
points, anything from site records) still travels only over the signed-in session's websocket, as
it does with ``st.pydeck_chart``. Pages whose polygons are not public (a proposed property's
buffer) leave ``public_geometry`` off and send everything inline.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydeck as pdk

from geo.sources import cache_dir

NAME = "deck_map"
SOURCE = Path(__file__).resolve().parent / "map_component"
OWN_FILES = ("index.html", "deck_map.js")
KEEP_S = 24 * 3600  # a geometry file unused this long is removed when a server starts
TOUCH_S = 3600  # a file in use has its time renewed at most this often
MIN_SHARED = 50  # features: below this a layer's geometry stays inline (no extra request)
POLYGONS = frozenset({"Polygon", "MultiPolygon"})
_KEYS: OrderedDict[tuple[int, ...], tuple[str, list[Any]]] = OrderedDict()  # geometry ids -> (hash, pinned)
_KEYS_LOCK = threading.Lock()
# Keys are keyed hashes: with a plain hash, anyone could hash a guessed set of public ward shapes
# (say, the wards a council's site records put over 1:200) and ask the server whether that file
# exists. With a secret of the server process's own, only a signed-in page learns a key.
_SECRET = secrets.token_bytes(32)


def deck_bundle() -> Path:
    """deck.gl as pydeck ships it: a UMD bundle that sets ``window.deck`` (deck.gl 9)."""
    return Path(pdk.__file__).resolve().parent / "nbextension" / "static" / "index.js"


def _same(source: Path, target: Path) -> bool:
    try:
        return target.stat().st_size == source.stat().st_size and target.read_bytes() == source.read_bytes()
    except OSError:
        return False


def _write(target: Path, body: bytes) -> None:
    """Write under a temporary name of its own, then rename: another server process, or a
    browser fetching the file, never sees it half-written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def served_folder(root: Path | None = None) -> Path:
    """The folder Streamlit serves the component from, made or refreshed: our page and script, and
    pydeck's deck.gl bundle as ``deck.js``."""
    folder = (root or cache_dir()) / "components" / NAME
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {name: SOURCE / name for name in OWN_FILES} | {"deck.js": deck_bundle()}
    for name, source in wanted.items():
        if not _same(source, folder / name):
            _write(folder / name, source.read_bytes())
    sweep(folder / "geometry")
    return folder


def sweep(geometry: Path, keep_s: float = KEEP_S) -> int:
    """Remove geometry files unused for ``keep_s`` seconds; returns how many. Keys change with each
    server process's secret, so without this every restart would leave its files behind. A file
    another process still uses is renewed as it is used, and rewritten if it was removed."""
    if not geometry.is_dir():
        return 0
    cutoff = time.time() - keep_s
    gone = 0
    for path in geometry.glob("*.json"):
        with contextlib.suppress(OSError):  # removed by another process meanwhile
            if path.stat().st_mtime < cutoff:
                path.unlink()
                gone += 1
    return gone


def _geometry_key(geometries: list[Any]) -> tuple[str, str | None]:
    """(keyed hash, JSON text or None if the key was remembered). Geometries come from the
    per-server geometry index, so the same objects recur every rerun: their ids are remembered
    (and the objects pinned, so an id cannot be reused) to skip re-serialising 450 KB a run."""
    ids = tuple(id(g) for g in geometries)
    with _KEYS_LOCK:
        hit = _KEYS.get(ids)
        if hit is not None:
            _KEYS.move_to_end(ids)
            return hit[0], None
    body = json.dumps(geometries, separators=(",", ":"))
    key = hmac.new(_SECRET, body.encode(), hashlib.sha256).hexdigest()[:32]
    with _KEYS_LOCK:
        _KEYS[ids] = (key, geometries)
        while len(_KEYS) > 64:
            _KEYS.popitem(last=False)
    return key, body


def _shared(data: Any) -> bool:
    """A FeatureCollection of boundary polygons big enough to be worth a file of its own."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return False
    features = data.get("features") or []
    return len(features) >= MIN_SHARED and all(
        isinstance(f.get("geometry"), dict) and f["geometry"].get("type") in POLYGONS for f in features)


def share_geometry(deck: pdk.Deck, folder: Path) -> pdk.Deck:
    """A copy of ``deck`` whose big boundary layers carry ``geometryKey`` and properties only; each
    key's geometries are written once to ``folder/geometry/<key>.json`` (the key follows the
    content, so the browser's cached copy is never stale)."""
    layers = []
    for layer in deck.layers:
        data = getattr(layer, "data", None)
        if data is None or not _shared(data):
            layers.append(layer)
            continue
        features = data["features"]
        geometries = [f["geometry"] for f in features]
        key, body = _geometry_key(geometries)
        target = folder / "geometry" / f"{key}.json"
        try:
            if target.stat().st_mtime < time.time() - TOUCH_S:
                os.utime(target)  # in use: kept by the next sweep
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            text = body if body is not None else json.dumps(geometries, separators=(",", ":"))
            _write(target, text.encode())
        slim = copy.copy(layer)
        slim.data = {"type": "FeatureCollection", "geometryKey": key,
                     "features": [{"type": "Feature", "properties": f.get("properties", {})} for f in features]}
        layers.append(slim)
    out = copy.copy(deck)
    out.layers = layers
    return out


@functools.cache
def _declared() -> tuple[Any, Path]:
    """The component and its served folder, made once per server process."""
    import streamlit.components.v1 as components

    folder = served_folder()
    return components.declare_component(NAME, path=str(folder)), folder


def deck_args(deck: pdk.Deck, *, height: int, alt: str = "", folder: Path | None = None,
              selectable: bool = False, fill: bool = False, fit: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the component receives: the deck's JSON, its tooltip template, the height, the map's
    description for screen readers and whether a click selects. With ``folder``, boundary
    geometry goes to files there (``share_geometry``) instead of into the JSON. ``fill``: the
    frame's height is the page's CSS, not ``height``; ``fit``: bounds, padding and most zoom to
    frame the map again for the size it is drawn at (see ``deck_map``)."""
    if folder is not None:
        deck = share_geometry(deck, folder)
    tooltip = getattr(deck, "_tooltip", None)
    return {"spec": deck.to_json(), "tooltip": json.dumps(tooltip) if tooltip else "", "height": int(height),
            "alt": alt, "selectable": selectable, "fill": fill, "fit": fit}


def deck_map(deck: pdk.Deck, *, height: int, key: str, alt: str = "", public_geometry: bool = False,
             on_select: Callable[[], None] | None = None, height_css: str | None = None,
             fit: dict[str, Any] | None = None) -> None:
    """Draw ``deck`` in the current Streamlit container (a column's ``with`` block works), ``height``
    pixels tall. ``key`` keeps the same browser map across reruns. ``public_geometry``: the big
    polygon layers are published boundaries, so their geometry may be fetched as a file.
    ``on_select``: called after a click on a pickable object; the value under ``key`` is then
    ``{"selection": {"objects": {layer id: [{"properties": ...}]}}}``, the shape
    ``st.pydeck_chart`` gives, so the same callbacks read it.

    ``height_css`` (``ui.screen.fill_css``): the frame's height as a share of the browser's window,
    and ``fit`` (``{"bounds", "padding", "maxZoom"}``, as given to ``ui.layers.fit_view``): the map
    zoomed in to fill the frame it really gets. Why: the server learns the window's size only after
    a first page, so a first visit at 1920x1080 was laid out for a laptop (a ward map of 230x280 px
    in a wide empty frame)."""
    import streamlit as st

    component, folder = _declared()
    # The frame is as tall as the map from the first paint (it would start at 0 px and grow when its
    # page reports its height, moving everything below it once the map's code has loaded).
    st.html(f"<style>.st-key-{key} iframe {{height: {height_css or f'{int(height)}px'} !important}}</style>")
    component(**deck_args(deck, height=height, alt=alt, folder=folder if public_geometry else None,
                          selectable=on_select is not None, fill=height_css is not None, fit=fit),
              key=key, default=None, on_change=on_select)
