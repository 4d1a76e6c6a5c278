"""Unexpected failures: the traceback goes to the server's error log, the person sees one line.

Why: a traceback shows server paths and code to whoever is looking, and tells a council officer
nothing they can act on. The command line (``geo.commands.main``) and the pages
(``ui.errors.boundary``) both call :func:`report`, which writes the full traceback to the
``geo.failures`` log (a file, ``AAM_ERROR_LOG`` or ``cache/logs/errors.log``, and whatever
handlers the program configured) under a short reference, and returns the line to show.
Expected bad input is a :class:`geo.errors.GeoError`, whose message already names file, row
and column; it is shown as it is.
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from geo.errors import GeoError

log = logging.getLogger("geo.failures")
log.propagate = False  # at the command line, stderr is the person's terminal: tracebacks go to the file
LOG_ENV = "AAM_ERROR_LOG"
_DEFAULT_LOG = Path(__file__).resolve().parent.parent / "cache" / "logs" / "errors.log"


def error_log_path() -> Path:
    """Where tracebacks are written."""
    return Path(os.environ.get(LOG_ENV) or _DEFAULT_LOG)


def _file_handler() -> logging.Handler | None:
    path = error_log_path()
    for handler in log.handlers:
        if getattr(handler, "baseFilename", None) == str(path.resolve()):
            return handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return handler


def one_line(exc: BaseException) -> str:
    """The message of an expected error on one line (long messages are cut, never wrapped)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def report(exc: BaseException, where: str = "") -> str:
    """Log ``exc`` with its traceback under a reference and return the one line to show.

    GeoErrors are expected (bad input, a missing file): they are logged without a traceback and
    shown as they are. Anything else is a fault: shown as a reference a person can quote to
    whoever runs the service, with no path, code or exception text.
    """
    _file_handler()
    if isinstance(exc, GeoError):
        log.warning("%s%s", f"{where}: " if where else "", one_line(exc))
        return one_line(exc)
    ref = uuid.uuid4().hex[:8]
    log.error("reference %s%s: %s", ref, f" ({where})" if where else "", type(exc).__name__, exc_info=exc)
    return (f"Something went wrong and this could not be finished (reference {ref}). "
            "The details are in the service's error log; please quote the reference.")
