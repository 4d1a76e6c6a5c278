"""Strings from files reach the browser as text, never as code (issue 13).

Why: site names, addresses and column headings come from councils' files. Three places in the
browser would otherwise run them:

- pydeck (deck.gl's JSON converter) reads any string beginning ``@@`` as an expression or
  function (``@@=...``): a site named ``@@=x.y`` broke the map for every user;
- deck.gl's ``html`` tooltips put property values into the page as HTML, so ``<img src=...
  onerror=...>`` in a site name would run;
- Streamlit renders Markdown (and fetches images from addresses) in ``st.markdown``,
  ``st.caption``, ``st.error`` and friends.

:func:`deck_data` is applied to every layer's data in ``ui.layers.make_deck`` (the one way the
app builds a deck); :func:`markdown_text` escapes a string for the Markdown widgets.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

# A zero-width space keeps the visible text the same while making "@@" no longer the first
# characters; angle brackets become look-alike guillemets so no tag can be formed.
_ZWSP = "\u200b"
_TAG = str.maketrans({"<": "\u2039", ">": "\u203a"})
# Coordinates hold only numbers: skipping them keeps this cheap for the 8,441-ward map.
_SHAPES = frozenset({"geometry", "coordinates", "position", "path", "polygon", "bbox"})
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$<&])")


def deck_text(value: str) -> str:
    """A string safe to send to pydeck: never starts with ``@@``, holds no HTML tag."""
    text = value.translate(_TAG)
    return _ZWSP + text if text.startswith("@@") else text


def _text(value: str) -> str:
    """deck_text, skipping the work for the usual string that needs none."""
    return deck_text(value) if value.startswith("@@") or "<" in value or ">" in value else value


def _value(value: Any) -> Any:
    if type(value) is str:
        return _text(value)
    if isinstance(value, (dict, list, tuple, pd.DataFrame)):
        return deck_data(value)
    return value


def deck_data(data: Any) -> Any:
    """``data`` with every string inside (dicts, lists, DataFrames) made safe by :func:`deck_text`.

    Keys are left alone: they are our own column names, and deck.gl accessors refer to them.
    Coordinates are skipped (numbers only), which keeps the 8,441-ward map cheap.
    """
    if isinstance(data, str):
        return _text(data)
    if isinstance(data, pd.DataFrame):
        out = data.copy()
        for col in out.columns:
            if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
                out[col] = [_value(v) for v in out[col]]
        return out
    if isinstance(data, Mapping):
        return {k: v if k in _SHAPES else _value(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_value(v) for v in data]
    return data


def sanitise_layers(layers: list[Any]) -> list[Any]:
    """Make every pydeck layer's data safe in place (returns the same layers)."""
    for layer in layers:
        if getattr(layer, "data", None) is not None and not isinstance(layer.data, str):
            layer.data = deck_data(layer.data)
    return layers


def markdown_text(value: Any) -> str:
    """Text for ``st.markdown``/``st.caption``/``st.error``: Markdown and HTML shown literally,
    so ``![x](http://...)`` is never fetched and ``**x**`` is never bold."""
    return _MARKDOWN.sub(r"\\\1", str(value)).replace("\n", " ")
