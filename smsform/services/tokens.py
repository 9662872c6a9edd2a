"""One-time send tokens: a form, a double click or a browser's "resend" sends only once.

A token is signed (the user's id and a nonce, with the time it was made), so opening a
form writes nothing. It is claimed by the send log row that carries it
(``Send.send_key`` is unique): see ``services.sendlog``.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int

LIFETIME = timedelta(hours=24)
_SALT = "smsform.send-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


#: The tokens this process issued lately, by key and token: whom for and when signed
#: (the token's own time). A form posted back to the process that opened it is known by
#: a look-up instead of a second signature (its key is the token: it is as written).
_ISSUED: dict[tuple[Any, str], tuple[int, int]] = {}
_ISSUED_KEPT = 4096


def issue(user_id: int) -> str:
    """A fresh token for one send form of ``user_id``."""
    secret = current_app.config["SECRET_KEY"]
    token = _serializer().dumps({"u": user_id, "n": secrets.token_urlsafe(9)})
    signed_at = bytes_to_int(base64_decode(token.rsplit(".", 2)[1]))
    if len(_ISSUED) >= _ISSUED_KEPT:
        _ISSUED.clear()
    _ISSUED[(secret, token)] = (user_id, signed_at)
    return token


def form_key(token: str, user_id: int) -> str | None:
    """The send key of a form token issued here, to ``user_id``, less than a day ago, else
    None: the token as this app wrote it. Base64 lets a few spellings of one signature
    verify (the spare bits of a last character are ignored when decoding), and each would
    otherwise claim a send of its own; all of them give the one key."""
    max_age = int(LIFETIME.total_seconds())
    issued = _ISSUED.get((current_app.config["SECRET_KEY"], token))
    if issued is not None and issued[0] == user_id and (
            0 <= int(time.time()) - issued[1] < max_age - 1):
        return token  # signed here, for this user, and far from its end: as written
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        return None
    return ".".join(_canonical(part) for part in token.split("."))


def _canonical(part: str) -> str:
    """One Base64 part of a token as the serializer writes it (unpadded, spare bits zero)."""
    return base64_encode(base64_decode(part)).decode("ascii") if part else part


def header_key(user_id: int, key: str) -> str:
    """The send key of a caller's own ``Idempotency-Key`` (keys belong to their user)."""
    return f"key:{user_id}:{key}"


def batch_key(name: str) -> str:
    """The send key of a bulk job's batch (``<job>:<batch>``): one send per batch."""
    return f"batch:{name}"
