"""One-time send tokens: a form, a double click or a browser's "resend" sends only once.

A token is signed (the user's id and a nonce, with the time it was made), so opening a
form writes nothing. It is claimed by the send log row that carries it
(``Send.send_key`` is unique): see ``services.sendlog``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

LIFETIME = timedelta(hours=24)
_SALT = "smsform.send-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue(user_id: int) -> str:
    """A fresh token for one send form of ``user_id``."""
    return _serializer().dumps({"u": user_id, "n": secrets.token_urlsafe(9)})


def valid(token: str, user_id: int) -> bool:
    """True when ``token`` was issued here, to ``user_id``, less than a day ago."""
    try:
        payload = _serializer().loads(token, max_age=int(LIFETIME.total_seconds()))
    except BadData:
        return False
    return isinstance(payload, dict) and payload.get("u") == user_id


def header_key(user_id: int, key: str) -> str:
    """The send key of a caller's own ``Idempotency-Key`` (keys belong to their user)."""
    return f"key:{user_id}:{key}"
