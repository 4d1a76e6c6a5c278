"""Fitting the screen: the browser's viewport size, map heights that fit it, and the small script
every page carries (open at the top, arrow keys step the quarter in presentation mode).

Why a script: Streamlit's main area sticks to its bottom while a page streams in, so a page whose
map arrives last opened scrolled (by 38 px to a few hundred); and the server never learns the
window's size, which presentation mode needs to size and frame the map. The script keeps a new
page at its top until the person scrolls, and stores the window size in a cookie that the server
reads (``st.context.cookies``); in presentation mode, when the size the page was drawn for is not
the window's, it stores the new size and reloads once.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

COOKIE = "aam_screen"
DEFAULT = (1366, 768)  # the smallest laptop screen the one-screen layouts are made for


@dataclass(frozen=True)
class Screen:
    """The browser's viewport in CSS pixels (``DEFAULT`` until the page script has reported it)."""

    width: int
    height: int
    known: bool

    @property
    def text(self) -> str:
        return f"{self.width}x{self.height}"


def screen() -> Screen:
    """The viewport size the page script last stored, or ``DEFAULT``."""
    raw = ""
    try:
        raw = str(st.context.cookies.get(COOKIE) or "")
    except Exception:  # noqa: BLE001 - no browser (streamlit.testing): assume the default
        raw = ""
    try:
        w, h = (int(v) for v in raw.split("x", 1))
        if 320 <= w <= 8000 and 240 <= h <= 5000:
            return Screen(w, h, True)
    except ValueError:
        pass
    return Screen(*DEFAULT, False)


OVERVIEW_ABOVE, OVERVIEW_LEAST, OVERVIEW_MOST = 235, 440, 760  # px: the overview's title and controls


def map_height(s: Screen, present: bool) -> int:
    """The overview map's height: what is left of the window under the title and controls."""
    if present:
        return max(380, s.height - 175)
    return max(OVERVIEW_LEAST, min(s.height - OVERVIEW_ABOVE, OVERVIEW_MOST))


def fill_css(above: int, least: int = 300, most: int = 760) -> str:
    """``map_height_under``'s rule in CSS: the same height from the window the browser really has,
    which the server learns only after a first page (``ui.deck_component.deck_map``)."""
    return f"clamp({least}px, calc(100vh - {above}px), {most}px)"


SHORT = 1000  # px: under this, metric cards drop their sparklines so the map fits under them


def short(s: Screen) -> bool:
    """A laptop-height window (1440x900, 1366x768): metric cards go without sparklines.

    Why: a sparkline makes a card about 110 px taller, which on a laptop pushes the map (council
    and ward views) or the over-limit box (overview) below the fold; the trend is on the page anyway.
    """
    return s.height < SHORT


def content_width(s: Screen, present: bool = False) -> int:
    """The width of the page's main column: the window less the sidebar (300 px, hidden in
    presentation mode) and Streamlit's side padding. Used to frame a map for the width it gets."""
    return max(480, s.width - (0 if present else 300) - 160)


MAP_COLUMNS = (2.9, 1.6)  # council and ward views: the map, then its 1:200 box and key beside it


def map_width(s: Screen, present: bool = False) -> int:
    """The width of the map in the council and ward views (its share of ``MAP_COLUMNS``), to frame it."""
    return int(content_width(s, present) * MAP_COLUMNS[0] / sum(MAP_COLUMNS))


def map_height_under(s: Screen, above: int, least: int = 300, most: int = 760) -> int:
    """A map's height that ends at the window's bottom edge when ``above`` px of the page (title,
    controls, numbers) sit over it, between ``least`` and ``most``.

    Why: the council and ward views used a fixed 520/500 px map under their title and numbers,
    which ran far below the fold at 1440x900 and 1366x768 (issue 17: title, controls, numbers,
    the 1:200 status box and the map on one laptop screen). ``above`` is measured in headless
    Chromium for each page (tests/test_e2e_layout.py checks the map's bottom at both sizes).
    """
    return max(least, min(s.height - above, most))


# A page title (h1, 2.3rem bold) and the place line under it (``aam-lede``, 1.15rem), as measured in
# headless Chromium: average glyph width and line height in px.
H1_CHAR_PX, H1_LINE_PX = 20, 44
LEDE_CHAR_PX, LEDE_LINE_PX = 7.5, 25


def _lines(text: str, width_px: float, char_px: float) -> int:
    """Lines ``text`` wraps to, word by word, at ``char_px`` a character (a word longer than a line
    takes the lines it needs)."""
    per_line = max(int(width_px // char_px), 1)
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > per_line:
            lines, used = lines + 1, 0
        if used:
            used += 1
        used += len(word)
        while used > per_line:  # a word longer than the line
            lines, used = lines + 1, used - per_line
    return lines


def title_px(title: str, lede: str, width_px: float, *, beside: bool = False) -> int:
    """About how tall a page's title and its place line stand in ``width_px`` (``beside``: the line
    follows the title on the same line when both fit, as on the ward view).

    Why: a map sized to end at the window's bottom edge must start lower under a title that wraps
    (a long council or ward name, or its place line, on a laptop), or its bottom falls off the screen.
    """
    lines = _lines(title, width_px, H1_CHAR_PX)
    one_line = len(title) * H1_CHAR_PX + 20 + len(lede) * LEDE_CHAR_PX <= width_px
    lede_lines = 0 if beside and one_line else _lines(lede, width_px, LEDE_CHAR_PX)
    return max(68, 62 + LEDE_LINE_PX * lede_lines) + H1_LINE_PX * (lines - 1)


# In the sums below: 35 px of padding over the page, 16 between rows, 8 left under the map, and
# the rows between the title and the map as measured at 1366x768 and 1440x900 (their captions wrap
# to two lines in the cards' width there).


def council_map_above(compact: bool, title: int) -> int:
    """Pixels over the council view's ward map: the title row (``title`` px: see ``title_px``; the
    council picker and quarter slider beside it take 75) and the row of five metric cards with their
    captions (taller with sparklines, on screens of ``SHORT`` px and more)."""
    return 35 + max(title, 75) + 16 + (290 if compact else 330) + 8


def council_map_height(s: Screen, compact: bool, title: int) -> int:
    """The council view's ward map: to the window's bottom under ``council_map_above``."""
    return map_height_under(s, above=council_map_above(compact, title))


def ward_map_above(title: int) -> int:
    """Pixels over the ward view's map: the ward's name (``title`` px: see ``title_px``), the finder,
    the closed finder panel and the row of four metric cards with their captions (no sparklines)."""
    return 35 + title + 336 + 8


def ward_map_height(s: Screen, title: int) -> int:
    """The ward view's map: to the window's bottom under ``ward_map_above``."""
    return map_height_under(s, above=ward_map_above(title))


PAGE_SCRIPT = """
<span id="aam-page-js" data-present="{present}" data-screen="{screen}"></span>
<script>
(() => {{
  const w = window, d = document;
  const marker = d.getElementById('aam-page-js');
  const size = `${{w.innerWidth}}x${{w.innerHeight}}`;
  d.cookie = `{cookie}=${{size}}; path=/; max-age=31536000; SameSite=Lax`;
  // Presentation mode frames the map for the window: redraw once at the window's real size.
  if (marker && marker.dataset.present === '1' && marker.dataset.screen !== size) {{
    const last = Number(w.sessionStorage.getItem('aam-reload') || 0);
    if (Date.now() - last > 15000) {{
      w.sessionStorage.setItem('aam-reload', String(Date.now()));
      // Reload by a link that says present=1: the toggle's run may not have put it in the address
      // yet, and a plain reload then came back out of the mode with the sidebar folded.
      const url = new URL(w.location.href);
      url.searchParams.set('present', '1');
      w.location.replace(url.toString());
      return;
    }}
  }}
  // Leaving presentation mode gives the sidebar back: the mode folded it (app.py's page config),
  // and Streamlit applies a page's initial sidebar state only when a page first loads.
  const wasPresent = w.sessionStorage.getItem('aam-present') === '1';
  const isPresent = marker && marker.dataset.present === '1';
  w.sessionStorage.setItem('aam-present', isPresent ? '1' : '0');
  if (wasPresent && !isPresent) {{
    let tries = 0;
    const open = w.setInterval(() => {{
      const button = d.querySelector(
        '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button');
      const sidebar = d.querySelector('[data-testid="stSidebar"]');
      const shown = sidebar && sidebar.getAttribute('aria-expanded') !== 'false'
        && sidebar.getBoundingClientRect().width > 50;
      if (button && !shown) button.click();
      if (shown || ++tries > 50) w.clearInterval(open);
    }}, 100);
  }}
  // Open a new page at its top (Streamlit follows the bottom while elements stream in) until the
  // person scrolls, clicks or types.
  if (w.__aamPath !== w.location.pathname) {{
    w.__aamPath = w.location.pathname;
    let touched = false;
    const touch = () => {{ touched = true; }};
    for (const ev of ['wheel', 'touchmove', 'mousedown', 'keydown']) {{
      w.addEventListener(ev, touch, {{capture: true, passive: true, once: true}});
    }}
    const start = Date.now();
    let quiet = 0;  // when the script was last seen finished
    const timer = w.setInterval(() => {{
      const main = d.querySelector('[data-testid="stMain"], section.stMain, .stMain');
      const app = d.querySelector('[data-test-script-state]');
      const done = app && app.getAttribute('data-test-script-state') === 'notRunning';
      quiet = done ? (quiet || Date.now()) : 0;
      // A map drawn in its component's frame (ui/deck_component.py) arrives after the script has
      // finished: the page is still arriving until every such map has drawn.
      const maps = [...d.querySelectorAll('iframe[data-testid="stCustomComponentV1"]')];
      const drawing = maps.some((f) => {{
        try {{ return !(f.contentWindow.aamMapLog || []).some((e) => e[0] === 'drawn'); }}
        catch (err) {{ return false; }}
      }});
      const settling = !quiet || Date.now() - quiet < 1500 || drawing;
      // Streamlit sticks to the bottom of a page that first fits the window, and follows it down as
      // late elements (a map drawn by WebGL) grow it: undo that while nobody has touched the page.
      // Any other scroll is undone only while the page is still arriving (a link to a map below
      // the fold, say, is left alone once it has settled).
      const atBottom = main && main.scrollTop > 0 && main.scrollTop + main.clientHeight >= main.scrollHeight - 2;
      if (!touched && main && main.scrollTop > 0 && (settling || atBottom)) main.scrollTop = 0;
      if (!touched && settling && w.scrollY > 0) w.scrollTo(0, 0);
      if (touched || Date.now() - start > 60000) w.clearInterval(timer);
    }}, 100);
  }}
  // Presentation mode: the left and right arrow keys step the quarter (the page's own buttons).
  if (!w.__aamKeys) {{
    w.__aamKeys = true;
    w.addEventListener('keydown', (e) => {{
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      const t = e.target;
      const typing = 'input, textarea, select, [role="slider"], [contenteditable="true"], [role="listbox"], canvas';
      if (t && t.closest(typing)) return;
      const which = e.key === 'ArrowLeft' ? 'present_prev' : 'present_next';
      const button = d.querySelector(`.st-key-${{which}} button`);
      if (button && !button.disabled) {{ e.preventDefault(); button.click(); }}
    }});
  }}
}})();
</script>
"""

HIDE_SCRIPT_CSS = ("<style>[data-testid='stElementContainer']:has(#aam-page-js), "
                   ".element-container:has(#aam-page-js) {display: none !important;}</style>")
# Nothing cut off: metric labels and changes wrap instead of ending in an ellipsis, and values
# shrink a little with the window rather than lose digits ("1,183,..." at 1440x900).
FIT_CSS = """<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"],
[data-testid="stMetricDelta"] * {white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; height: auto !important;}
[data-testid="stMetric"] [data-testid="stCaptionContainer"],
[data-testid="stMetric"] [data-testid="stCaptionContainer"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {overflow: visible !important;
  text-overflow: clip !important;}
[data-testid="stMetricValue"] {font-size: clamp(1.5rem, 2.1vw, 2.25rem) !important;}
[data-testid="stMetric"] {padding: 0.45rem 0.7rem !important;}
</style>"""


def page_script(present: bool) -> None:
    """The page script (see the module docstring); its element takes no space on the page."""
    st.html(HIDE_SCRIPT_CSS + FIT_CSS)  # style only: out of the page flow, takes no room
    st.html(PAGE_SCRIPT.format(present="1" if present else "0", screen=screen().text, cookie=COOKIE),
            unsafe_allow_javascript=True)
