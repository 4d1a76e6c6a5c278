"""Streamlit plumbing every page shares: one cached model, cached per-quarter tables, URL state,
filters, presentation mode, site records (when ``geo.sites`` has some) and the source footer.

The logic lives in ``geo`` (no Streamlit there); this module only binds it to widgets.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from geo import measures, period_table, series, text, wards
from geo.access.scope import SiteScope, sites_in
from geo.caveats import CAVEATS  # noqa: F401  (pages read shell.CAVEATS)
from geo.changes import Change
from geo.errors import GeoError
from geo.model import Model, load_model, web_layer
from ui import routing
from ui import state as views
from ui.metrics import delta_style
from ui.screen import page_script
from ui.state import ViewState
from ui.status import CSS as STATUS_CSS

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = {
    "overview": "pages/overview.py",
    "council": "pages/council.py",
    "ward": "pages/ward.py",
    "fair-share": "pages/fair_share.py",
    "sites": "pages/sites.py",
    "sources": "pages/sources.py",
}
SITES_DB_ENV = "AAM_SITES_DB"


# --- navigation guard ---------------------------------------------------------------------------

ensure_app_navigation = routing.ensure_app_navigation  # every page imports this module: route it first
ensure_app_navigation()


# --- loading ------------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Reading the official files (first start builds a cache)...")
def get_model() -> Model:
    return load_model()


def model_or_error() -> tuple[Model | None, str | None]:
    ensure_app_navigation()
    try:
        return get_model(), None
    except GeoError as exc:
        return None, str(exc)


def require_model() -> Model:
    """The model, or a plain error naming the missing files (and a pointer to Sources) then stop."""
    model, error = model_or_error()
    if model is None:
        st.error("The official files could not be loaded, so there is nothing to show yet.")
        st.markdown(f"**What is missing:** {error}")
        st.page_link(PAGE_FILES["sources"], label="See the Sources page for where to get each file")
        st.stop()
    return model


def model_key(model: Model) -> str:
    """Changes whenever an input file changes, so cached tables never outlive their data."""
    return "|".join(f"{k}:{p.sha256[:12]}" for k, p in sorted(model.provenance.items()))


@st.cache_data(show_spinner=False, max_entries=256)
def lad_table(key: str, period: str, filters: tuple) -> pd.DataFrame:
    return measures.lad_table(get_model(), period, measures.Filters(*filters))


@st.cache_data(show_spinner=False, max_entries=256)
def headline(key: str, period: str, filters: tuple) -> dict[str, measures.Headline]:
    return measures.headline(get_model(), period, measures.Filters(*filters))


@st.cache_data(show_spinner=False, max_entries=64)
def national_series(key: str, filters: tuple) -> pd.DataFrame:
    return series.national_series(get_model(), measures.Filters(*filters))


@st.cache_data(show_spinner=False, max_entries=512)
def lad_trend(key: str, lad_code: str, filters: tuple) -> pd.DataFrame:
    return measures.lad_trend(get_model(), lad_code, measures.Filters(*filters))


@st.cache_resource(show_spinner=False)
def web(key: str, level: str):
    return web_layer(get_model(), level)


@st.cache_resource(show_spinner=False)
def geometries(key: str, level: str) -> dict[str, dict]:
    """Rounded GeoJSON geometry per code for a web layer, built once per data version."""
    from ui.layers import geometry_index

    return geometry_index(web(key, level), "lad_code" if level == "lad" else "ward_code")


@st.cache_data(show_spinner=False)
def ward_options(key: str) -> dict[str, str]:
    return views.ward_options(get_model().wards)


@st.cache_data(show_spinner=False, max_entries=256)
def neighbours(key: str, ward_code: str) -> pd.DataFrame:
    found = wards.neighbours(get_model().wards, ward_code)
    return pd.DataFrame(found.drop(columns="geometry"))


def filters_key(filters: measures.Filters) -> tuple:
    return (tuple(filters.support_types), tuple(filters.accommodation_types), tuple(filters.regions),
            tuple(filters.nations))


def options(model: Model) -> dict[str, list]:
    """What a link may name: the periods, nations, regions and types in the loaded files. Worked
    out once per data version: it scans every row of the figures (0.1 s, and pages ask up to three
    times a run)."""
    return _options(model_key(model))


@st.cache_data(show_spinner=False)
def _options(key: str) -> dict[str, list]:
    model = get_model()
    return {
        "periods": model.periods,
        "nations": sorted(model.lads["nation"].dropna().unique()),
        "regions": sorted(model.lads["region"].dropna().unique()),
        **measures.filter_choices(model.stats),  # Asy_D11's detail only: coarser sources cannot be split
    }


def periods_publishing(model: Model, measure: str) -> list:
    """The quarters whose file gives ``measure`` by council (fair share needs dispersed people, which
    the totals-only quarters lack): worked out once per data version, not on every rerun."""
    return _periods_publishing(model_key(model), measure)


@st.cache_data(show_spinner=False)
def _periods_publishing(key: str, measure: str) -> list:
    model = get_model()
    return [p for p in model.periods if period_table.measure_published(model.stats, measure, p)]


# --- URL state ----------------------------------------------------------------------------------

def _params() -> dict[str, Any]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _page_changed() -> bool:
    """True on the first run of a page after another page (the sidebar menu or a page link)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page = getattr(ctx, "page_script_hash", None) if ctx is not None else None
    changed = st.session_state.get("_page_hash") not in (None, page)
    st.session_state["_page_hash"] = page
    return changed


def load_state(model: Model) -> ViewState:
    """The view for this run: from the link when it changed (a new link or a page switch with
    parameters), else what this session had (page menus drop the link's parameters)."""
    ss = st.session_state
    params = _params()
    sig = views.signature(params)
    new_page = _page_changed()
    if "_view" not in ss or (params and sig != ss.get("_url_sig")):
        state, problems = views.decode(params, **options(model))
        ss["_view"] = state
        ss["_problems"] = problems
        ss["_url_sig"] = sig
        for key in [k for k in ss if str(k).startswith("w_")]:
            del ss[key]  # widgets take the link's values
    elif new_page:
        # A widget keeps its key but not its value across pages: a quarter slider drawn fresh on the
        # new page would start at its first option (March 2014) and write that back. Re-seed from the view.
        for key in [k for k in ss if str(k).startswith("w_")]:
            del ss[key]
    state = ss["_view"]
    if state.period is None:
        state = replace(state, period=model.latest_period.date().isoformat())
    return state


def save_state(state: ViewState, page: str) -> None:
    """Keep the state for the session and write this page's part of it into the link."""
    st.session_state["_view"] = state
    wanted = views.encode(state, views.PAGE_FIELDS.get(page, ()))
    if views.signature(wanted) != views.signature(_params()):
        st.query_params.from_dict(wanted)
    st.session_state["_url_sig"] = views.signature(wanted)


def show_link_problems() -> None:
    problems = st.session_state.pop("_problems", None)
    if problems:
        st.warning("Part of this link could not be used: " + "; ".join(problems) + ".")


def bind(field: str, value: Any) -> str:
    """Widget key for a state field, seeded with the state's value the first time it is drawn."""
    key = f"w_{field}"
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def set_view(**changes: Any) -> None:
    """Callback: change the session's view before the next run draws it (widgets re-seed from it)."""
    st.session_state["_view"] = replace(st.session_state["_view"], **changes)
    for name in changes:
        st.session_state.pop(f"w_{name}", None)


def _selection(key: str) -> dict:
    """A table's or map's selection event from session state ({} when nothing is selected)."""
    event = st.session_state.get(key)
    return getattr(event, "selection", None) or (event.get("selection", {}) if isinstance(event, dict) else {})


def pick_row(table_key: str, codes_key: str, field: str) -> None:
    """Callback for a table with row selection: make the ticked row's code the view's ``field``."""
    rows = list(_selection(table_key).get("rows") or [])
    codes = st.session_state.get(codes_key) or []
    if rows and rows[0] < len(codes):
        set_view(**{field: codes[rows[0]]})
        with contextlib.suppress(KeyError, st.errors.StreamlitAPIException):
            del st.session_state[table_key]  # the next table starts with nothing ticked


def map_key(name: str) -> str:
    """A clickable map's widget key, new after every click: the browser keeps a map's selection
    and dims everything else, so each click gets a fresh map."""
    return f"{name}_{st.session_state.get(f'_{name}_clicks', 0)}"


def pick_area(name: str, layer_id: str, code_prop: str, field: str) -> None:
    """Callback for the map keyed ``map_key(name)``: make the clicked area's code the view's ``field``."""
    objects = (_selection(map_key(name)).get("objects") or {}).get(layer_id) or []
    code = ((objects[0] or {}).get("properties") or {}).get(code_prop) if objects else None
    if code:
        set_view(**{field: code})
    st.session_state[f"_{name}_clicks"] = st.session_state.get(f"_{name}_clicks", 0) + 1


def switch_to(page: str, state: ViewState) -> None:
    params = views.encode(state, views.PAGE_FIELDS.get(page, ()))
    st.session_state["_view"] = state
    st.switch_page(PAGE_FILES[page], query_params=params)


# --- controls -----------------------------------------------------------------------------------

def period_control(model: Model, state: ViewState, where=None, label: str = "Quarter") -> ViewState:
    where = where or st
    choices = [p.date().isoformat() for p in model.periods]
    key = bind("period", state.period if state.period in choices else choices[-1])
    if st.session_state[key] not in choices:
        st.session_state[key] = choices[-1]
    value = where.select_slider(label, options=choices, key=key, format_func=text.quarter_label,
                                help="Quarter end of the Home Office figures; every quarter in the loaded file.")
    return replace(state, period=value)


def filter_controls(model: Model, state: ViewState, *, geographic: bool = True) -> ViewState:
    """Sidebar filters: nation and region (when geographic), accommodation and support type."""
    opts = options(model)
    sb = st.sidebar
    sb.markdown("### Filters")
    if geographic:
        nations = sb.multiselect("Nation", opts["nations"], key=bind("nations", list(state.nations)),
                                 placeholder="All nations")
        lads = model.lads
        in_nations = lads[lads["nation"].isin(nations)] if nations else lads
        region_opts = sorted(in_nations["region"].dropna().unique())
        key = bind("regions", list(state.regions))
        st.session_state[key] = [r for r in st.session_state[key] if r in region_opts]
        regions = sb.multiselect("Region", region_opts, key=key, placeholder="All regions")
        state = replace(state, nations=tuple(nations), regions=tuple(regions))
    acc = sb.multiselect("Accommodation type", opts["accommodation"], key=bind("accommodation",
                         list(state.accommodation)), placeholder="All accommodation types",
                         help="Narrows 'people supported'. Hotel and dispersed figures always show their own type.")
    sup = sb.multiselect("Support type", opts["support"], key=bind("support", list(state.support)),
                         placeholder="All support types",
                         help="Section 95: asylum seekers with a claim in progress; Section 4: refused, "
                              "unable to leave; Section 98: initial support while a claim is assessed.")
    return replace(state, accommodation=tuple(acc), support=tuple(sup))


def _present_changed() -> None:
    """Callback: the toggle's new value becomes the view's before the next run starts, so app.py
    (sidebar folded, menu hidden) and the page (its presentation screen) both draw the mode at once.
    Read after the widget, the change reached only the rest of the page, half-applied until a reload."""
    set_view(present=bool(st.session_state.get("w_present")))


def presentation_toggle(state: ViewState) -> ViewState:
    on = st.sidebar.toggle("Presentation mode", key=bind("present", state.present), on_change=_present_changed,
                           help="Map and the four headline numbers fill the screen; large text. "
                                "Add ?present=1 to a link to open in this mode.")
    return replace(state, present=on)


PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebarNav"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 0.8rem !important;
  padding-bottom: 0.5rem !important;
  max-width: 100% !important;}
/* shrinks with the window: five council cards in a row still show 1,183,618 whole at 1366 px */
[data-testid="stMetricValue"] {font-size: clamp(1.9rem, 2.5vw, 3.1rem) !important; line-height: 1.1 !important;}
[data-testid="stMetricLabel"] p {font-size: 1.25rem !important; font-weight: 700 !important;}
[data-testid="stMetricDelta"] {font-size: 1.1rem !important;}
h1 {font-size: 2.6rem !important;}
</style>
"""

BASE_CSS = """
<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 2.2rem !important;}
[data-testid="stMetricValue"] {font-weight: 700;}
/* a value in words ("Not published") wraps between its words inside its card; a number never breaks */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {white-space: normal !important;
  word-break: normal !important; overflow-wrap: normal !important;}
[class*="st-key-aam_words_"] [data-testid="stMetricValue"] {font-size: 1.3rem !important; line-height: 1.3 !important;
  padding: 0.2rem 0;}
[data-testid="stMetricLabel"] p {font-weight: 600; color: #0b0c0c;}
.aam-source {font-size: 0.85rem; color: #505a5f; border-top: 2px solid #1d70b8; padding-top: 6px; margin-top: 18px;}
.aam-lede {font-size: 1.15rem; margin: 0.2rem 0 0.6rem 0;}
h1 {font-size: 2.3rem !important; padding-bottom: 0.2rem !important;}
""" + STATUS_CSS + """
/* deck.gl clips its tooltip at the map's edge; let it spill over the key beside the map instead. */
[data-testid="stDeckGlJsonChart"] {z-index: 10;}
[data-testid="stDeckGlJsonChart"] div {overflow: visible !important;}
</style>
"""


def chrome(state: ViewState, leave_button: bool = True) -> None:
    """Page-wide styling; presentation mode hides the sidebar and enlarges the numbers (with a way
    out, since the sidebar toggle is hidden too)."""
    st.html(BASE_CSS)  # style only: out of the page flow, so it takes no room at the top
    page_script(state.present)  # opens at the top; window size for the map; arrow keys in presentation
    if state.present:
        st.html(PRESENT_CSS)
        if leave_button:
            st.button("Leave presentation mode", key="leave_present_top", on_click=set_view,
                      kwargs={"present": False})


# --- figures and footers ------------------------------------------------------------------------

def footer(model: Model, ids: tuple[str, ...], period: Any | None, note: str | None = None) -> None:
    """The source line (files and releases) and the as-at date, at the foot of every page."""
    speaking = model.period_source(period) if period is not None else None  # the file behind the figures
    lines = [text.source_line(model.provenance, dict.fromkeys([speaking, *ids] if speaking else ids))]
    if period is not None:
        lines.append(f"Figures as at {text.quarter_label(period)} (quarter end).")
    if note:
        lines.append(note)
    lines.append(text.LICENCE_LINE)
    st.markdown("<div class='aam-source'>" + "<br/>".join(lines) + "</div>", unsafe_allow_html=True)


def metric(col, label: str, value: str, change_q: float | None, change_y: float | None, *,
           previous_q: str, previous_y: str, inverse: bool = False, chart: list | None = None,
           help: str | None = None, digits: int = 0, q: Change | None = None, y: Change | None = None,
           brief: bool = False, note: str | None = None) -> None:
    """A big number, its change on the quarter (metric delta) and on the year (line beneath).

    Changes carry a sign and words; colour only repeats them. ``q``/``y`` (geo.changes) say why a
    change is missing ("not comparable: ...") instead of a bare "no figure". ``brief``: the year's
    line in a few words ('+235 on Dec 2024'), for a laptop screen where the long one wrapped to three
    lines and pushed the cards below the window. ``note``: a short line after it (why the card's
    label differs from other quarters').
    """
    delta = None if change_q is None or pd.isna(change_q) else text.signed(change_q, digits)
    arrow, colour = delta_style(change_q, delta, inverse=inverse)
    if not any(ch.isdigit() for ch in value):  # words ("Not published..."): smaller, so the card stays small
        col = col.container(key="aam_words_" + re.sub(r"[^a-z0-9]+", "_", label.lower()))
    col.metric(label, value, delta=delta, delta_color=colour, delta_arrow=arrow,
               delta_description=f"on {previous_q}" if delta is not None else None,
               border=True, chart_data=chart, chart_type="line", help=help)
    if (change_q is None or pd.isna(change_q)) and q is not None and q.base_period is not None:
        col.caption(f"On {previous_q}: {q.words()}.")
    if (change_y is None or pd.isna(change_y)) and y is not None:
        # brief: the state only ('not comparable'); the reason after it took four lines of a laptop's card
        line = (f"On {previous_y}: {y.words().split(':')[0]}." if brief
                else f"On a year earlier ({previous_y}): {y.words()}.")
    elif change_y is None or pd.isna(change_y):
        line = f"No figure for {previous_y}." if brief else f"No figure for a year earlier ({previous_y}) in this file."
    else:
        line = (f"**{text.signed(change_y, digits)}** on {previous_y}." if brief else
                f"**{text.signed(change_y, digits)}** on a year earlier ({previous_y}).")
    col.caption(f"{line} {note}" if note else line)


# --- site records -------------------------------------------------------------------------------

def sites_db(model: Model) -> Path:
    env = os.environ.get(SITES_DB_ENV)
    return Path(env) if env else (model.cache_dir or ROOT / "cache") / "sites.sqlite"


@st.cache_data(show_spinner=False, ttl=120)
def _current_sites(path: str, version: str, key: tuple[str, ...], which: str, _scope: SiteScope) -> pd.DataFrame:
    """Current sites within the member's scope, read through geo.access.scope (``key``, the scope's
    organisations, is in the cache key: caches are shared by every user; ``_scope`` is not hashed)."""
    frame = sites_in(_scope, path, which=which)
    return pd.DataFrame(frame.drop(columns="geometry"))


def store_version(path: Path) -> str:
    """A cache key that changes whenever an import lands: the store's own batch stamp (in WAL mode
    the file's modification time can lag until a checkpoint), with the file's time beside it."""
    from geo.sites.store import SiteStore

    if not path.is_file():
        return "none"
    try:
        return f"{SiteStore(path).stamp()}@{path.stat().st_mtime}"
    except GeoError:
        return f"unreadable@{path.stat().st_mtime}"


def site_records(model: Model) -> tuple[pd.DataFrame | None, str]:
    """Current site records from the site store, or (None, why not) - never an error page."""
    path = sites_db(model)
    if not path.is_file():
        return None, ("No site records loaded. Ward counts and the ward 1:200 check need a council's "
                      "own site list (import one on the Sites page).")
    from ui import auth, site_access

    try:
        member = auth.acting_member(path)
        scope = site_access.scope_of(member, path)  # geo.access: only what this member may see
        which = "site_orgs" if scope.may_view_sites else "aggregate_orgs"
        frame = _current_sites(str(path), store_version(path), scope.key, which, scope)
        if not scope.may_view_sites:  # ward figures only: no site can be drawn, named or listed
            frame = site_access.aggregate_only(frame)
        elif frame is not None and len(frame):
            site_access.record_view(member, path, {"what": "site records on the ward and council views"},
                                    len(frame))
    except (GeoError, OSError, ValueError) as exc:
        return None, f"No site records loaded: the site store {path.name} could not be read ({exc})."
    if frame is None or frame.empty:
        return None, "No site records loaded: the site store has no current sites."
    note = f"Site records from {path.name} ({len(frame):,} current sites)."
    from ui.sites import illustrative_mask

    if "notes" in frame.columns and bool(illustrative_mask(frame).any()):
        note = "ILLUSTRATIVE sample records, not real sites. " + note
    return frame, note


def site_note(where, note: str) -> None:
    """The site records line; a loud warning when the records are an illustrative sample."""
    if note.startswith("ILLUSTRATIVE"):
        where.warning(note)
    else:
        where.caption(note)


def ward_site_measures(model: Model, sites: pd.DataFrame, wards: pd.DataFrame) -> pd.DataFrame | None:
    """Per ward people and 1:200 status from site records (geo.sites.measures); None if unreadable."""
    from geo.sites.measures import ward_measures

    try:
        return ward_measures(sites, wards)
    except (GeoError, KeyError, ValueError):
        return None
