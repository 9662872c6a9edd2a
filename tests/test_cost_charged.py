"""A logged send's cost is what the gateway charged, on every page and answer that shows it:
0 for a refusal, a test or a send that never reached the gateway, unknown (at most the
forecast) while nobody knows, and the forecast beside it as a forecast."""

from __future__ import annotations

import csv
import io

import pytest

from smsform.extensions import db
from smsform.models import Send
from tests.api_support import bearer, token_user
from tests.support import page, sign_in, valid_send

JSON = {"Accept": "application/json"}
THREE = "010-2222-3333, 010-3333-4444, 010-4444-5555"


@pytest.fixture
def kim(app):
    return sign_in(app, "sender", username="kim")


@pytest.fixture
def admin(app):
    return sign_in(app, "admin", username="boss")


def send(client, **fields) -> int:
    """Post the form as JSON; the send log id of what it did."""
    answer = client.post("/smssend", data=valid_send(**fields), headers=JSON)
    return answer.get_json()["send_id"]


def row(app, send_id: int) -> Send:
    with app.app_context():
        found = db.session.get(Send, send_id)
        db.session.expunge(found)
        return found


def items(client) -> dict[int, dict]:
    return {item["id"]: item for item in client.get("/sends", headers=JSON).get_json()["items"]}


def test_two_refusals_for_lack_of_credit_charge_nothing(app, kim, admin, backend):
    backend.accounts["demo"].credits = 2  # three numbers cost three credits
    first, second = send(kim, rphone=THREE), send(kim, rphone=THREE)
    logged = items(admin)
    # The gateway refuses the first (-201,2); the second, with that credit known, is
    # refused before the call. Neither is charged.
    assert [(logged[i]["result"], logged[i]["code"]) for i in (first, second)] == [
        ("refused", "-201"), ("not_sent", "credit_short")]
    for send_id in (first, second):
        assert (logged[send_id]["cost"], logged[send_id]["forecast"]) == (0, 3)
        assert (row(app, send_id).cost, row(app, send_id).forecast) == (0, 3)
    listed = page(admin.get("/sends?lang=en")).select_one(f'tr[data-id="{first}"] td.cost')
    assert listed.contents[0].strip() == "0"
    assert listed.select_one(".forecast").get_text() == "Forecast: 3"
    shown = page(admin.get(f"/sends/{first}?lang=en"))
    assert (shown.select_one("#cost").get_text(), shown.select_one("#forecast").get_text()) == (
        "0", "3")


def test_an_accepted_send_costs_its_forecast_and_a_test_nothing(app, kim, admin):
    sent, tested = send(kim, rphone=THREE), send(kim, rphone=THREE, testflag="Y")
    logged = items(admin)
    assert (logged[sent]["cost"], logged[sent]["forecast"]) == (3, 3)
    assert (logged[tested]["cost"], logged[tested]["forecast"]) == (0, 0)
    listed = page(admin.get("/sends")).select_one(f'tr[data-id="{sent}"] td.cost')
    assert listed.get_text().strip() == "3" and listed.select_one(".forecast") is None


def test_an_unknown_send_costs_at_most_its_forecast_until_it_is_marked(app, kim, admin,
                                                                       backend):
    backend.inject("drop")
    unknown = send(kim, rphone=THREE)
    assert (row(app, unknown).result, row(app, unknown).cost) == ("unknown", None)
    assert (items(admin)[unknown]["cost"], items(admin)[unknown]["forecast"]) == (None, 3)
    listed = page(admin.get("/sends?lang=en")).select_one(f'tr[data-id="{unknown}"] td.cost')
    assert listed.get_text().strip() == "Unknown (at most 3)"
    assert page(admin.get(f"/sends/{unknown}?lang=ko")).select_one("#cost").get_text() == (
        "알 수 없음 (최대 3)")
    rows = list(csv.DictReader(io.StringIO(admin.get("/sends?format=csv&lang=en").get_data(
        as_text=True).lstrip("\ufeff"))))
    assert [(r["Credits charged"], r["Forecast credits"]) for r in rows] == [("", "3")]
    admin.post(f"/sends/{unknown}/mark", data={"mark": "not_sent"})
    assert row(app, unknown).cost == 0
    admin.post(f"/sends/{unknown}/mark", data={"mark": "sent"})
    assert row(app, unknown).cost == 3


def test_the_form_result_and_json_say_what_was_charged(app, kim, backend):
    backend.accounts["demo"].credits = 2
    shown = page(kim.post("/smssend?lang=en", data=valid_send(rphone=THREE)))  # -201,2
    assert shown.select_one("#result-cost").get_text() == "0 credits"
    assert shown.select_one("#result-forecast").get_text() == "3 credits"
    answer = kim.post("/smssend", data=valid_send(rphone=THREE), headers=JSON)
    body = answer.get_json()  # refused before the call, with the credit now known
    assert (answer.status_code, body["cost"], body["forecast"]) == (422, 0, 3)


def test_the_api_answers_and_reads_back_what_was_charged(app, backend):
    token = token_user(app, "sender", "api-user")
    client = app.test_client()
    backend.accounts["demo"].credits = 2
    refused = client.post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": THREE.split(", "), "text": "안녕하세요"}).get_json()
    assert (refused["code"], refused["cost"], refused["forecast"]) == ("-201", 0, 3)
    read = client.get(f"/api/v1/messages/{refused['id']}", headers=bearer(token)).get_json()
    assert (read["cost"], read["forecast"]) == (0, 3)
    backend.inject("drop")
    unknown = client.post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": "안녕"}).get_json()
    assert (unknown["result"], unknown["cost"], unknown["forecast"]) == ("unknown", None, 1)
    listed = client.get("/api/v1/messages", headers=bearer(token)).get_json()["items"]
    assert [(i["cost"], i["forecast"]) for i in listed] == [(None, 1), (0, 3)]
