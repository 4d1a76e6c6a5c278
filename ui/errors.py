"""The pages' one error boundary: the traceback to the server log, one line to the person.

Why: Streamlit's own handler prints the exception and its traceback, with server paths, in the
browser (``client.showErrorDetails`` is also set to ``none`` in ``.streamlit/config.toml`` as
a second guard). ``app.py`` runs every page inside :func:`boundary`; a page may also wrap a
risky step (an upload, an export) to keep the rest of the page working.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from geo.failures import report
from ui.safe import markdown_text

log = logging.getLogger("ui.errors")


def message_for(exc: BaseException, where: str = "") -> str:
    """Log ``exc`` (traceback to the server's error log and log stream) and return the line to show."""
    line = report(exc, where)
    from geo.errors import GeoError

    if not isinstance(exc, GeoError):
        log.error("%s: %s", where or "page", line, exc_info=exc)  # the server's log stream (stderr)
    return line


def show_error(exc: BaseException, where: str = "") -> str:
    """Show one line for ``exc`` on the page (as text: file names may hold Markdown) and return it."""
    import streamlit as st

    line = message_for(exc, where)
    st.error(markdown_text(line), icon=":material/error:")
    return line


@contextmanager
def boundary(where: str = "") -> Iterator[None]:
    """Run a page (or a step of one) so that any exception ends as one line on the page.

    Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from BaseException, not
    Exception, so it passes through untouched.
    """
    try:
        yield
    except Exception as exc:  # the boundary: nothing below it reaches the browser as a traceback
        show_error(exc, where)
