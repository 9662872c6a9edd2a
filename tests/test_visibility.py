"""Who sees what of the send log (services.visibility), the same on /sends, /sends/<id>, the
JSON of both, the CSV and the token API: admins all in full, senders their own in full and
others' masked, viewers all masked (names shortened, no client address)."""

from __future__ import annotations

import pytest

from smsform.services import accounts, api_tokens
from smsform.services.audit import CLI_ACTOR
from smsform.services.visibility import Reader, mask_name
from tests.api_support import bearer
from tests.support import page, sign_in
from tests.test_sends import JSON, add_send, csv_rows, ids

PHONE, MASKED = "010-2222-3333", "010-****-3333"
NAME, SHORT = "홍길동", "홍*동"


@pytest.fixture
def readers(app):
    """Signed-in clients of kim and lee (senders), an admin and a viewer."""
    return {"kim": sign_in(app, "sender", "kim"), "lee": sign_in(app, "sender", "lee"),
            "admin": sign_in(app, "admin"), "viewer": sign_in(app, "viewer")}


@pytest.fixture
def sends(app, readers):
    """A send of kim's and one of lee's, each to PHONE named NAME."""
    return {who: add_send(app, user=who, phones=(PHONE,), names=(NAME,),
                          text="{name}님, 주문이 접수되었습니다.") for who in ("kim", "lee")}


def shown(client, send_id: int) -> tuple[str, str, str | None, str]:
    """What a send's page shows: number, name, address (None: not shown), merged text."""
    soup = page(client.get(f"/sends/{send_id}"))
    address = soup.select_one("#address")
    return (soup.select_one("#recipient-list .number").get_text(),
            soup.select_one("#recipient-list .name").get_text(),
            address.get_text() if address is not None else None,
            soup.select_one("#recipient-list .msg").get_text())


FULL = (PHONE, NAME, "10.1.2.3", f"{NAME}님, 주문이 접수되었습니다.")
HIDDEN = (MASKED, SHORT, None, f"{SHORT}님, 주문이 접수되었습니다.")


@pytest.mark.parametrize(("reader", "kims", "lees"), [
    ("kim", FULL, HIDDEN), ("lee", HIDDEN, FULL), ("admin", FULL, FULL),
    ("viewer", HIDDEN, HIDDEN)])
def test_each_send_is_shown_in_full_or_masked_by_the_one_rule(readers, sends, reader, kims,
                                                             lees):
    client = readers[reader]
    assert shown(client, sends["kim"]) == kims
    assert shown(client, sends["lee"]) == lees
    listed = {int(tr["data-id"]): tr.select_one(".number").get_text()
              for tr in page(client.get("/sends")).select("#sends tbody tr")}
    assert listed == {sends["kim"]: kims[0], sends["lee"]: lees[0]}
    body = client.get(f"/sends/{sends['lee']}", headers=JSON).get_json()
    assert [{k: r[k] for k in ("phone", "name", "text")} for r in body["recipients_list"]] \
        == [{"phone": lees[0], "name": lees[1], "text": lees[3]}]
    numbers = {int(r["id"]): r["numbers"] for r in csv_rows(client.get("/sends?format=csv"))}
    assert numbers == {sends["kim"]: f"{kims[0]} {kims[1]}", sends["lee"]: f"{lees[0]} {lees[1]}"}


def test_a_masked_send_says_so(readers, sends):
    soup = page(readers["kim"].get(f"/sends/{sends['lee']}"))
    assert "관리자" in soup.select_one("#masked-note").get_text()
    assert page(readers["kim"].get(f"/sends/{sends['kim']}")).select_one("#masked-note") is None


def test_a_number_finds_only_the_sends_one_sees_in_full(readers, sends):
    assert ids(readers["kim"].get("/sends", query_string={"q": PHONE}, headers=JSON)) == [
        sends["kim"]]
    assert ids(readers["admin"].get("/sends", query_string={"q": PHONE}, headers=JSON)) == [
        sends["lee"], sends["kim"]]
    assert readers["viewer"].get("/sends", query_string={"q": PHONE},
                                 headers=JSON).status_code == 403


def test_the_api_applies_the_same_rule(app, readers, sends):
    with app.app_context():
        token = api_tokens.create(accounts.find_user("kim"), "t", by=CLI_ACTOR).token
    client = app.test_client()
    listed = client.get("/api/v1/messages", headers=bearer(token)).get_json()["items"]
    assert [item["id"] for item in listed] == [sends["lee"], sends["kim"]]
    for who, expected in (("kim", {"phone": PHONE, "name": NAME}),
                          ("lee", {"phone": MASKED, "name": SHORT})):
        body = client.get(f"/api/v1/messages/{sends[who]}", headers=bearer(token)).get_json()
        assert [{"phone": r["phone"], "name": r["name"]} for r in body["to"]] == [expected], who
    found = client.get("/api/v1/messages", query_string={"q": PHONE}, headers=bearer(token))
    assert [item["id"] for item in found.get_json()["items"]] == [sends["kim"]]


@pytest.mark.parametrize(("name", "masked"), [
    ("김철수", "김*수"), ("이현", "이*"), ("남궁민수", "남**수"), ("A", "*"), ("", ""),
    ("John Smith", "J********h")])
def test_a_name_is_shortened_to_its_first_and_last_letter(name, masked):
    assert mask_name(name) == masked


def test_the_rule_itself():
    kim, viewer, admin = Reader(1, "sender"), Reader(3, "viewer"), Reader(9, "admin")
    assert kim.in_full(1) and not kim.in_full(2) and not kim.in_full(None)
    assert admin.in_full(2) and admin.in_full(None)
    assert not viewer.in_full(3) and not viewer.searches_people
