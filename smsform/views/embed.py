"""The send form in another site's frame: ``/smsform?embed=1``.

``embed=1`` (in the query, in the posted form, or in the sign-in page's ``next``) renders
the page on ``embed.html``: no navigation or banners, sized for a frame. Every embedded
page carries a JSON block (``#smsform-embed``) with the origins that may frame it besides
this site (SMSFORM_FRAME_ANCESTORS); after a send it also holds what the parent is told
(``smsform:sent``) and, for ``nointeractive``, where to go on. ``static/js/embed.js`` posts
the message to the parent's origin only, and only when that origin is one of these.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from flask import current_app, flash, request, url_for

from cafe24.calls import SendRequest
from smsform.services.sending import SendResult, Status
from smsform.views.util import split_url

#: The query or form field that asks for the embedded pages.
FLAG = "embed"
#: What the parent is told after a send (``event.data.type``).
SENT_TYPE = "smsform:sent"


def requested() -> bool:
    """True when this request asks for the embedded pages (also on the way through
    sign-in, whose ``next`` keeps the form's ``embed=1``)."""
    if request.values.get(FLAG) == "1":
        return True
    parts = split_url(request.args.get("next") or "")
    return parts is not None and parse_qs(parts.query).get(FLAG) == ["1"]


def allowed_origins() -> list[str]:
    """The origins besides this site's own that may frame the form and hear of its sends."""
    return list(current_app.extensions["smsform.settings"].frame_ancestors)


def page_data(sent: dict[str, Any] | None = None, go_on: str | None = None) -> dict[str, Any]:
    """The JSON block of an embedded page."""
    return {"allowed": allowed_origins(), "sent": sent, "continue": go_on}


def page_context() -> dict[str, Any]:
    """Template values on every page: ``embed`` and, when embedded, its data block."""
    embedded = requested()
    return {"embed": embedded, "embed_data": page_data() if embedded else None}


def sent_message(result: SendResult, sent: SendRequest) -> dict[str, Any]:
    """What the parent is told of a send (the API's names; ``id`` is the send log's)."""
    return {
        # A send refused here for lack of credit never left: the API's not_sent, its code
        # credit_short.
        "type": SENT_TYPE, "accepted": result.status.accepted,
        "result": (Status.NOT_SENT.value if result.status is Status.CREDIT_SHORT
                   else result.status.value),
        "code": result.code, "kind": "lms" if sent.kind == "L" else "sms",
        "recipients": sent.recipient_count,
        # Credits charged: none when refused or a test; unknown when the outcome is.
        "cost": result.cost, "forecast": sent.cost,
        "remaining": result.remaining, "id": result.send_id,
    }


def result_context(result: SendResult, sent: SendRequest, text: str, return_url: str | None,
                   go_on: bool) -> dict[str, Any]:
    """Template values for an embedded result page ({} when not embedded). With ``go_on``
    (nointeractive), the page goes on to ``returnurl`` or a new form after telling the
    parent; the result's words wait there as a flash when it is the form."""
    if not requested():
        return {}
    target = None
    if go_on:
        target = return_url or url_for("send.smsform", embed="1")
        if not return_url:
            flash(text, "success")
    return {"embed_data": page_data(sent_message(result, sent), target),
            "continue_url": target}
