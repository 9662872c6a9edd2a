"""Logging for the app's own loggers (``smsform.*``), set up in one place.

``create_app`` calls :func:`configure` whether the app runs under ``flask run``, a WSGI
server or the tests. Only the ``smsform`` logger is touched, never the root logger, so a
host that configures logging (gunicorn's ``--log-config``, pytest's ``caplog``) keeps
control; records still propagate to it.

The development server's access log (the ``werkzeug`` logger) gets a filter that drops
query strings: ``/smsform?msg=…&rphone=…`` holds texts and numbers. Under gunicorn, use an
access log format without ``%(r)s``, ``%(q)s`` and ``%(f)s`` (README: Running it for real).
"""

from __future__ import annotations

import logging
import re

ROOT = "smsform"
_HANDLER_NAME = "smsform-stderr"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS_LOGGER = "werkzeug"
# Where a request line's version starts ("GET /smsform?msg=hi HTTP/1.1").
_VERSION = re.compile(r" HTTP/\d")


class DropQueryStrings(logging.Filter):
    """Removes the query string from request lines in a record (its message and its
    arguments), so an access log never holds what a query string carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(strip_query(a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def strip_query(text: str) -> str:
    """``text`` with the request target's query string cut off: from the first ``?`` to
    the request line's `` HTTP/`` version, or to the end when there is none. A malformed
    line (a space or a quote inside the query: "Bad request syntax") loses all of it too."""
    start = text.find("?")
    if start < 0:
        return text
    versions = [m.start() for m in _VERSION.finditer(text, start)]
    return text[:start] + (text[versions[-1]:] if versions else "")


def _filter_access_log() -> None:
    """Give the development server's access logger the filter, once."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())


def configure(level: int) -> logging.Logger:
    """Set the app loggers' level and give them one stderr handler unless the host has one."""
    _filter_access_log()
    logger = logging.getLogger(ROOT)
    logger.setLevel(level)
    host_handles_it = logging.getLogger().handlers
    ours = [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]
    if not host_handles_it and not ours:
        handler = logging.StreamHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    return logger


def get(name: str) -> logging.Logger:
    """A logger under the app's root, e.g. ``get("send")`` is ``smsform.send``."""
    return logging.getLogger(f"{ROOT}.{name}")
