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


def map_height(s: Screen, present: bool) -> int:
    """The overview map's height: what is left of the window under the title and controls."""
    if present:
        return max(380, s.height - 175)
    return max(440, min(s.height - 235, 760))


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
      w.location.reload();
      return;
    }}
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
      const settling = !quiet || Date.now() - quiet < 1500;
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
