"""The send form's sender select starts on the user's last sender while it is registered."""

from __future__ import annotations

from tests.support import page, sign_in, valid_send

USUAL = "1588-1234"  # the third demo number: never chosen by default


def chosen(client, **query) -> str | None:
    """The value of the select's chosen option, or None when it starts on "choose"."""
    option = page(client.get("/smsform", query_string=query)).select_one(
        "select#sphone option[selected]")
    return option["value"] if option is not None else None


def sender_parts(client) -> list[str]:
    soup = page(client.get("/smsform"))
    return [soup.select_one(f"input[name=sphone{i}]")["value"] for i in (1, 2, 3)]


def send_from(client, number: str) -> int:
    parts = (number.split("-") + ["", ""])[:3]
    response = client.post("/smssend", data=valid_send(
        sphone=number, sphone1=parts[0], sphone2=parts[1], sphone3=parts[2]))
    return response.status_code


def test_the_select_starts_on_the_last_sender(admin_client):
    assert chosen(admin_client) is None
    assert send_from(admin_client, USUAL) == 200
    assert chosen(admin_client) == USUAL
    assert sender_parts(admin_client) == ["1588", "1234", ""]


def test_a_refused_send_does_not_change_the_usual_sender(admin_client, backend):
    send_from(admin_client, USUAL)
    backend.accounts["demo"].credits = 0
    assert send_from(admin_client, "02-123-4567") == 422  # -201: nothing went out
    assert chosen(admin_client) == USUAL


def test_a_last_sender_no_longer_registered_is_not_offered(admin_client, backend):
    send_from(admin_client, USUAL)
    backend.accounts["demo"].senders = ["010-1234-5678", "02-123-4567"]
    admin_client.application.extensions["smsform.gateway"]._senders = None  # the cache
    assert chosen(admin_client) is None


def test_the_forms_own_value_comes_first(admin_client):
    send_from(admin_client, USUAL)
    assert chosen(admin_client, sphone="02-123-4567") == "02-123-4567"


def test_each_user_has_their_own_last_sender(app, admin_client):
    send_from(admin_client, USUAL)
    other = sign_in(app, "sender")
    assert chosen(other) is None
