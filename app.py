"""Asylum Accommodation Map: where people seeking asylum are housed, against the 1:200 cluster limit.

Run: ``streamlit run app.py`` (``make run``; ``geo`` and ``ui`` are an editable install). Pages live
in ``pages/`` and stay thin; the shared loader and URL state are ``ui/shell.py`` and ``ui/state.py``.
This file is the router: every request, even a fresh server's first page link, runs through its
``st.navigation`` (``ui/routing.py``).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo import logs
from ui import routing

ROOT = Path(__file__).resolve().parent
routing.mark_routed()

logs.configure(logs.level_for(default="INFO"))  # server log: downloads, cache builds, imports ($AAM_LOG_LEVEL)


@st.cache_resource(show_spinner=False)
def _favicon() -> bytes:
    """A small map-pin icon drawn here, so the browser never fetches an icon from the internet.
    Drawn and PNG-encoded once per server: as an image it was re-encoded on every run (57 ms)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, 62, 62), radius=12, fill=(29, 112, 184, 255))  # GOV.UK blue
    draw.ellipse((20, 12, 44, 36), fill=(255, 255, 255, 255))
    draw.polygon([(22, 30), (42, 30), (32, 52)], fill=(255, 255, 255, 255))
    draw.ellipse((27, 19, 37, 29), fill=(29, 112, 184, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


present = str(st.query_params.get("present", "")).lower() in {"1", "true", "yes", "on"} or bool(
    getattr(st.session_state.get("_view"), "present", False))
st.set_page_config(
    page_title="Asylum accommodation map",
    page_icon=_favicon(),
    layout="wide",
    initial_sidebar_state="collapsed" if present else "expanded",
    menu_items={"About": "Asylum Accommodation Map: Home Office asylum support statistics joined to ONS "
                         "council and ward boundaries, against the 2019 memorandum's 1:200 cluster limit."},
)


def _page(name: str, title: str, icon: str, url_path: str, default: bool = False) -> st.Page | None:
    path = ROOT / "pages" / f"{name}.py"
    if not path.is_file():
        return None
    return st.Page(str(path), title=title, icon=icon, url_path=url_path, default=default)


from ui import auth  # noqa: E402  (after set_page_config: its gate may draw)
from ui.store_schema import require_current_schema  # noqa: E402

require_current_schema()  # a shared PostgreSQL store older than this code: one line naming the command, then stop
member = auth.gate()  # sign-in (or the desktop mode's local admin); stops here with a page saying why not
admin = member.may(auth.Action.MANAGE)
pages = [p for p in (
    _page("overview", "National overview", ":material/public:", "overview", default=True),
    _page("council", "Council view", ":material/location_city:", "council"),
    _page("ward", "Ward view", ":material/holiday_village:", "ward"),
    _page("fair_share", "Fair share", ":material/balance:", "fair-share"),
    _page("sites", "Sites", ":material/pin_drop:", "sites"),
    _page("check", "Check a property", ":material/rule:", "check") if member.may(auth.Action.VIEW_SITES) else None,
    _page("sources", "Sources", ":material/description:", "sources"),
    _page("admin", "Admin", ":material/admin_panel_settings:", "admin") if admin else None,
    _page("audit", "Audit log", ":material/policy:", "audit") if admin else None,
) if p is not None]

navigation = st.navigation(pages, position="hidden" if present else "sidebar")
routing.resume(pages)  # a page link opened before this server had routed anything: back to it
from ui.errors import boundary  # noqa: E402

with boundary(where=getattr(navigation, "url_path", "") or "page"):  # traceback to the log, one line here
    navigation.run()
