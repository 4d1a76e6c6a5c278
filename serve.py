"""The server ``make run`` starts: the Streamlit app (app.py) behind the origin guard.

Run: ``streamlit run serve.py``. Streamlit finds ``app`` below and serves app.py through it, so
every HTTP request and WebSocket upgrade passes ``ui.origin_guard.OriginGuard`` first: a request
for another name than this app's own address (a DNS-rebinding page) is refused on every route.
"""
from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from ui.origin_guard import OriginGuard

app = st.App("app.py", middleware=[Middleware(OriginGuard)])
