"""Logging for the app's own loggers (``smsform.*``), set up in one place.

``create_app`` calls :func:`configure` whether the app runs under ``flask run``, a WSGI
server or the tests. Only the ``smsform`` logger is touched, never the root logger, so a
host that configures logging (gunicorn's ``--log-config``, pytest's ``caplog``) keeps
control; records still propagate to it.
"""

from __future__ import annotations

import logging

ROOT = "smsform"
_HANDLER_NAME = "smsform-stderr"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: int) -> logging.Logger:
    """Set the app loggers' level and give them one stderr handler unless the host has one."""
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
