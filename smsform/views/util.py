"""Small helpers shared by the views."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, request

from cafe24.codes import CodeInfo
from cafe24.errors import Cafe24Error, GatewayRefused
from smsform.i18n import current_lang, t


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


def gateway_failure_text(exc: Cafe24Error,
                         describe: Callable[[str], CodeInfo] | None = None) -> str:
    """Why a gateway look-up failed, for a person: the code's meaning when the gateway
    refused (``describe`` picks the table), else that no usable answer came."""
    if isinstance(exc, GatewayRefused):
        if describe is not None:
            return describe(exc.code).text(current_lang())
        return t("SMS 아이디와 인증키를 확인하세요.", "Check the SMS id and key.")
    return t(f"게이트웨이에서 답을 받지 못했습니다: {exc.message}",
             f"No answer from the gateway: {exc.message}")
