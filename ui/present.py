"""Presentation mode of the overview: the map as large as the window allows beside four large
numbers, names on the map for the councils that matter, arrow keys to step the quarter.

Why a screen of its own: a chief executive reads it across a meeting room, on a projector at
1920x1080 or 1280x720. So the map is sized to the window (``ui.screen``), every number and
change is large dark text (no small grey captions, nothing cut off with an ellipsis), and the
only controls are the area and the quarter.
"""
from __future__ import annotations

import math
from dataclasses import replace
from html import escape

import pandas as pd
import pydeck as pdk
import streamlit as st

from geo import measures, rules, text
from geo.changes import Change
from geo.render.classify import classify
from geo.render.legend import choropleth_legend
from ui import layers as L
from ui import screen
from ui import state as views
from ui.deck_component import deck_map
from ui.state import ViewState
from ui.status import status_box

LARGEST = 5  # councils named for their size, besides those over the limit and the one chosen
CARDS = (("supported", "People supported"), ("hotel", "In contingency hotels"),
         ("dispersed", "In dispersed housing"), ("over", "Councils over 1:200"))

CSS = """
<style>
.block-container, [data-testid="stMainBlockContainer"] {padding: 0.9rem 1.6rem 0.4rem 1.6rem !important;
  max-width: 100% !important;}
h1 {font-size: clamp(1.7rem, 4.2vh, 3rem) !important; padding: 0 !important; line-height: 1.15 !important;}
.aam-lede {font-size: clamp(1rem, 1.9vh, 1.35rem) !important; margin: 0.1rem 0 0 0 !important;}
.aam-cards {display: grid; grid-template-columns: 1fr 1fr; gap: clamp(8px, 1.4vh, 16px);}
.aam-card {border: 1px solid #b1b4b6; border-radius: 8px; padding: clamp(6px, 1.2vh, 14px) clamp(8px, 1vw, 16px);
  min-width: 0;}
.aam-card .label {font-size: clamp(1rem, 2.5vh, 1.7rem); font-weight: 700; color: #0b0c0c; line-height: 1.2;}
.aam-card .value {font-size: clamp(2.1rem, 7.2vh, 5.4rem); font-weight: 800; color: #0b0c0c; line-height: 1.05;
  white-space: nowrap;}
.aam-card .value.words {font-size: clamp(1.2rem, 2.6vh, 1.9rem); white-space: normal; padding: 0.3em 0;}
.aam-card .change {font-size: clamp(0.95rem, 2.15vh, 1.55rem); color: #0b0c0c; line-height: 1.3;}
.aam-card .change b {font-weight: 800;}
.aam-over {font-size: clamp(1rem, 2.15vh, 1.55rem) !important; margin-top: clamp(8px, 1.4vh, 16px) !important;}
.aam-present-source {font-size: clamp(0.9rem, 1.7vh, 1.2rem); color: #0b0c0c; margin-top: 8px; line-height: 1.35;}
.aam-legend li, .aam-legend div {color: #0b0c0c !important;}
.st-key-present_prev button, .st-key-present_next button {font-size: 1.3rem; padding: 0.1rem 0.7rem;}
</style>
"""


def _card(label: str, value: str, lines: list[str]) -> str:
    words = "" if any(ch.isdigit() for ch in value) else " words"
    body = "".join(f"<div class='change'>{line}</div>" for line in lines)
    return (f"<div class='aam-card' role='group' aria-label='{escape(label)}'><div class='label'>{escape(label)}</div>"
            f"<div class='value{words}'>{escape(value)}</div>{body}</div>")


def _change(value: float | None, when: str, inverse: bool = False, change: Change | None = None) -> str:
    """'<b>−3,064</b> on 30 September 2025' in words and sign; colour only repeats the sign.

    Where the one change rule (geo.changes) finds no like-for-like base it says "not comparable"."""
    if (value is None or pd.isna(value)) and change is not None and change.base_period is not None:
        return f"{escape(change.figure().capitalize())} with {escape(when)}"
    if value is None or pd.isna(value):
        return f"No figure for {escape(when)}"
    words = text.signed(value)
    colour = "#0b0c0c"
    if inverse and words != text.NO_CHANGE:  # more councils over the limit is bad news
        colour = "#d4351c" if value > 0 else "#00703c"
    return f"<b style='color:{colour}'>{escape(words)}</b> on {escape(when)}"


def _step(choices: list[str], current: str, by: int) -> None:
    """Callback for the quarter buttons (and so the arrow keys)."""
    from ui import shell

    i = choices.index(current) if current in choices else len(choices) - 1
    shell.set_view(period=choices[max(0, min(len(choices) - 1, i + by))])


def label_codes(table: pd.DataFrame, over: pd.DataFrame, chosen: str | None) -> tuple[list[str], list[str]]:
    """(councils over the limit, the largest by people supported plus the chosen one) to name on
    the map: the councils a room asks about, and never so many that names pile up."""
    over_codes = list(over["lad_code"])
    largest = (table.dropna(subset=["supported"]).sort_values("supported", ascending=False)["lad_code"]
               .loc[lambda s: ~s.isin(over_codes)].head(LARGEST).tolist())
    if chosen and chosen in set(table["lad_code"]) and chosen not in over_codes and chosen not in largest:
        largest.append(chosen)
    return over_codes, largest


def _labels(web, table: pd.DataFrame, over_codes: list[str], named: list[str], chosen: str | None, size: int,
            view: dict[str, float], frame: tuple[float, float]) -> pdk.Layer | None:
    """Council names: the chosen one first, then those over the limit (beside their red ring), then
    the others in order; a name that would cover one placed before it, or a ring, is left off
    (``geo.render.labels.place_labels``)."""
    codes = list(dict.fromkeys([*([chosen] if chosen in set(over_codes + named) else []), *over_codes, *named]))
    if not codes:
        return None
    names = table.set_index("lad_code")["lad_name"]
    return L.council_labels(web, names, codes, view, size, ringed=over_codes, padding=(5, 2), frame=frame,
                            weight=700, background=[255, 255, 255, 235])


def map_width(bounds, height: int, room: int) -> int:
    """Pixels of width the map needs to show ``bounds`` at the full ``height`` (Web Mercator), kept
    between 38% and 62% of the room, so a tall UK leaves the rest of the width to the numbers."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    merc = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(max(min(lat, 85), -85)) / 2))  # noqa: E731
    aspect = (maxx - minx) / 360 / max((merc(maxy) - merc(miny)) / (2 * math.pi), 1e-9)
    return int(max(0.38 * room, min(0.62 * room, height * aspect * 1.08)))


def short_source(model, ids: tuple[str, ...]) -> str:
    """'Source: Home Office (Immigration system statistics, ...); ...': publisher and release, readable
    from a distance; the files and checksums are on the Sources page."""
    parts = [f"{p.publisher} ({p.release})" for sid in ids if (p := model.provenance.get(sid)) is not None]
    return "Source: " + "; ".join(dict.fromkeys(parts)) if parts else ""


def overview_screen(model, key: str, state: ViewState) -> ViewState:
    """Draw the overview in presentation mode; returns the view to save."""
    from ui import shell  # the page plumbing (Streamlit session); the helpers above are plain functions

    st.html(CSS)  # style only: Streamlit puts it out of the page flow, so it takes no room
    size = screen.screen()
    opts = shell.options(model)
    choices = [p.date().isoformat() for p in model.periods]

    tcol, acol, pcol, bcol = st.columns([2.3, 1.1, 2.0, 0.75], vertical_alignment="bottom", gap="medium")
    region_choices = ["United Kingdom"] + opts["regions"]
    key_region = shell.bind("present_region", state.regions[0] if len(state.regions) == 1 else "United Kingdom")
    if st.session_state[key_region] not in region_choices:
        st.session_state[key_region] = "United Kingdom"
    region = str(acol.selectbox("Area", region_choices, key=key_region))
    state = replace(state, regions=() if region == "United Kingdom" else (region,), nations=())
    with pcol:
        back, slide, ahead = st.columns([0.16, 1, 0.16], vertical_alignment="bottom", gap="small")
        state = shell.period_control(model, state, where=slide)
        current = state.period
        back.button("◀", key="present_prev", help="Previous quarter (left arrow key)", on_click=_step,
                    args=(choices, current, -1), disabled=current == choices[0])
        ahead.button("▶", key="present_next", help="Next quarter (right arrow key)", on_click=_step,
                     args=(choices, current, 1), disabled=current == choices[-1])
    bcol.button("Leave", key="leave_present", help="Leave presentation mode", on_click=shell.set_view,
                kwargs={"present": False}, width="stretch")

    period_iso = state.period or choices[-1]  # period_control always sets one; the latest otherwise
    period = pd.Timestamp(period_iso)
    filters = state.filters()
    fkey = shell.filters_key(filters)
    table = shell.lad_table(key, period_iso, fkey)
    heads = shell.headline(key, period_iso, fkey)
    area = views.selection_label(state).split(";")[0]
    over = table[table["over_threshold"].astype("boolean").fillna(False).astype(bool)].sort_values(
        "limit_used", ascending=False)
    tcol.markdown(f"# {escape(area)}")
    tcol.markdown(f"<p class='aam-lede'>People seeking asylum housed with Home Office support, "
                  f"<b>{text.quarter_label(period)}</b></p>", unsafe_allow_html=True)

    height = screen.map_height(size, present=True)
    web = shell.web(key, "lad")
    shown = web[web["lad_code"].isin(table["lad_code"])]
    width = map_width(shown.total_bounds if len(shown) else web.total_bounds, height, size.width - 70)
    map_col, side = st.columns([width, size.width - 70 - width], gap="medium")
    prev_q = text.quarter_label(period - pd.offsets.QuarterEnd(1))
    prev_y = text.quarter_label(period - pd.offsets.QuarterEnd(4))
    cards = []
    for name, label in CARDS:
        h = heads[name]
        why = []
        if name == "hotel" and pd.isna(h.value) and "contingency" in heads and pd.notna(heads["contingency"].value):
            h, label = heads["contingency"], measures.CONTINGENCY_LABEL
            why = [measures.HOTELS_NOT_SPLIT]
        value = (measures.not_shown(model, period, name).capitalize() if pd.isna(h.value)
                 else text.people(h.value))
        cards.append(_card(label, value, [_change(h.change_q, prev_q, inverse=name == "over", change=h.q),
                                          _change(h.change_y, prev_y, inverse=name == "over", change=h.y), *why]))
    side.markdown("<div class='aam-cards'>" + "".join(cards) + "</div>", unsafe_allow_html=True)
    if len(over):
        named = "; ".join(f"<b>{escape(r.lad_name)}</b> ({r.limit_used:.2f} times the limit)"
                          for r in over.head(4).itertuples())
        more = f", and {len(over) - 4} more" if len(over) > 4 else ""
        side.markdown(status_box(f"<b>{len(over)} council{'s' if len(over) != 1 else ''} over the 1:200 "
                                 f"limit</b> (red outline): {named}{more}.", rules.OVER), unsafe_allow_html=True)
    elif (over_gap := measures.over_state(model, table)[1]):
        side.markdown(status_box(escape(measures.over_gap_sentence(model, period, over_gap)), over_gap),
                      unsafe_allow_html=True)
    else:
        side.markdown(status_box("<b>No council is over the 1:200 limit</b> in this area.", rules.WITHIN),
                      unsafe_allow_html=True)

    measure = measures.map_measure(model.stats, state.measure, period)  # hotels, or contingency where only that
    values = table[measure]
    classes = classify(values, method=state.classes, k=5, measure=measure)
    legend_col, source_col = side.columns([1, 1], gap="small")
    count, gap = measures.over_state(model, table)
    legend_col.markdown(choropleth_legend(classes, measures.MEASURES[measure], over=gap or count,
                                          gaps=measures.gap_counts(model, table, measure),
                                          large=True), unsafe_allow_html=True)
    speaks = model.period_source(period) or "asy_d11"  # the file that gave these figures, named
    source_col.markdown(f"<div class='aam-present-source'>{escape(short_source(model, (speaks,)))}. "
                        f"Figures at {text.quarter_label(period)}, provisional.</div>", unsafe_allow_html=True)

    layers, _ = L.national_layers(shown, table, measure, classes, geometries=shell.geometries(key, "lad"))
    over_codes, named_codes = label_codes(table, over, state.lad)
    text_px = max(17, size.height // 48)
    bounds = shown.total_bounds if len(shown) else web.total_bounds
    view = L.fit_view(bounds, width_px=width, height_px=height, padding=0.02)
    labels = _labels(shown, table, over_codes, named_codes, state.lad, text_px, view, (width, height))
    if labels is not None:
        layers.append(labels)
    with map_col:
        deck_map(L.make_deck(layers, view, L.LAD_TOOLTIP), height=height, key="present_map", public_geometry=True,
                 alt=f"Map of councils in {area} coloured by {measures.MEASURES[measure].lower()}; "
                            "councils over the 1:200 limit have a thick red outline and are named.")
    return state
