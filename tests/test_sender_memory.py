"""The send form's sender select starts on the user's last sender while it is registered."""

from __future__ import annotations

from smsform.services import accounts, api_tokens
from smsform.services.audit import CLI_ACTOR
from tests.api_support import bearer
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


def test_a_send_through_another_way_in_does_not_move_the_forms_sender(app):
    """The API, the CLI and JSON scripts of /smssend send from numbers of their own: the
    form keeps starting on the one this person last sent from on the form."""
    person = sign_in(app, "sender", username="kim")
    assert send_from(person, USUAL) == 200
    with app.app_context():
        token = api_tokens.create(accounts.find_user("kim"), "shop", by=CLI_ACTOR).token
    answer = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": "02-123-4567", "to": ["010-2222-3333"], "text": "api"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=[
        "send", "--user", "kim", "--from", "010-1234-5678", "--to", "010-2222-3333",
        "--text", "cli"])
    assert result.exit_code == 0, result.output
    scripted = person.post("/smssend", headers={"Accept": "application/json"},
                           data=valid_send(sphone="02-123-4567", sphone1="02", sphone2="123",
                                           sphone3="4567"))
    assert scripted.status_code == 200 and scripted.get_json()["result"] == "success"
    assert chosen(person) == USUAL


def test_a_user_who_sent_only_through_the_api_starts_on_choose(app):
    person = sign_in(app, "sender", username="lee")
    with app.app_context():
        token = api_tokens.create(accounts.find_user("lee"), "shop", by=CLI_ACTOR).token
    answer = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": USUAL, "to": ["010-2222-3333"], "text": "api"})
    assert answer.status_code == 201
    assert chosen(person) is None  # the documented default: "choose", not the API's number
