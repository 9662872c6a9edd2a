"""Small helpers shared by the views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to after sign-in, or None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers and Werkzeug drop tabs and newlines, so "/\t/evil" would become "//evil".
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def safe_return_url(target: str | None) -> str | None:
    """``returnurl`` if it stays on this site or an allow-listed host, else None."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return None
    if safe_next(target):
        return target
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    own = (request.host.split(":")[0]).lower()
    allowed = {own, *current_app.config.get("SMSFORM_RETURN_HOSTS", [])}
    return target if host in allowed else None
