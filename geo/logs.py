"""One logging setup for the command line and the app.

The library only logs (``log = logging.getLogger(__name__)`` in each module); deciding where the
records go belongs to the program that runs it. Only the project's own loggers (``geo``, ``ui``)
get a handler, so a verbose run shows download retries, cache builds and imports without the
chatter of every library underneath.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

LEVEL_ENV = "AAM_LOG_LEVEL"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PROJECT_LOGGERS = ("geo", "ui")


def level_for(verbosity: int = 0, default: str = "WARNING") -> int:
    """-v gives INFO, -vv DEBUG; with neither, $AAM_LOG_LEVEL (a level name) or ``default``."""
    if verbosity >= 2:
        return logging.DEBUG
    if verbosity == 1:
        return logging.INFO
    named = logging.getLevelName(os.environ.get(LEVEL_ENV, default).strip().upper())
    return named if isinstance(named, int) else logging.WARNING


def configure(level: int | str = logging.WARNING, stream: TextIO | None = None) -> None:
    """Send the project's records at ``level`` and above to ``stream`` (stderr).

    Safe to call on every Streamlit rerun: the handler it added last time is replaced, not doubled.
    Records still propagate (Streamlit puts no handler on the root logger; pytest's caplog needs them).
    """
    if isinstance(level, str):
        named = logging.getLevelName(level.strip().upper())
        level = named if isinstance(named, int) else logging.WARNING
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.set_name("aam")
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "aam"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
