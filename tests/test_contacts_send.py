"""Groups and contacts as recipients: resolved by the send service itself (so every way in
shares it), names feeding {name} through destination, each number once, and more than one
call takes refused with a pointer to bulk sends."""

from __future__ import annotations

import pytest

from cafe24.calls import SendRequest
from smsform.services import contacts, sending
from smsform.services.audit import CLI_ACTOR
from smsform.services.sending import Actor, SendOrder, Status
from tests.api_support import sends
from tests.support import page, send_calls, sign_in, valid_send


@pytest.fixture
def book(app):
    with app.app_context():
        contacts.add_contact("010-5000-0001", name="홍길동", groups=["VIP"], by=CLI_ACTOR)
        contacts.add_contact("010-5000-0002", name="김철수", groups=["VIP", "행사"],
                             by=CLI_ACTOR)
        contacts.add_contact("010-5000-0003", groups=["행사"], by=CLI_ACTOR)
        return {g.name: g.id for g in contacts.list_groups()}


def _order(request, **kwargs):
    return SendOrder(request, Actor(None, "cli", "cli"), **kwargs)


def test_the_service_adds_a_groups_members_with_their_names(app, backend, book):
    with app.app_context():
        request = SendRequest("안녕하세요", "010-1234-5678", recipients=("010-9999-0000",))
        result = sending.submit(_order(request, groups=(book["VIP"], book["행사"])))
    assert result.status is Status.SUCCESS
    assert [(r.phone, r.name) for r in result.request.named] == [
        ("010-9999-0000", ""), ("010-5000-0001", "홍길동"), ("010-5000-0002", "김철수"),
        ("010-5000-0003", "")]
    assert len(send_calls(backend)) == 1  # one call carries every recipient
    assert sends(app)[0].recipient_count == 4


def test_name_in_the_text_needs_every_member_named(app, backend, book):
    with app.app_context():
        named = sending.submit(_order(SendRequest("{name}님", "010-1234-5678"),
                                      groups=(book["VIP"],)))
        nameless = sending.submit(_order(SendRequest("{name}님", "010-1234-5678"),
                                         groups=(book["행사"],)))
    assert named.status is Status.SUCCESS
    assert nameless.status is Status.INVALID
    assert [(p.code, p.params) for p in nameless.problems] == [
        ("name_placeholder_without_names", {"count": 1})]


def test_a_number_typed_and_in_the_group_goes_once_keeping_its_typed_place(app, book):
    with app.app_context():
        request = SendRequest("안내", "010-1234-5678", recipients=("01050000002",))
        added = contacts.add_to_request(request, (book["VIP"],), ())
    assert [(r.phone, r.name) for r in added.named] == [("01050000002", ""),
                                                      ("010-5000-0001", "홍길동")]


def test_without_names_the_numbers_stay_plain_recipients(app):
    with app.app_context():
        made = contacts.add_contact("010-7000-0000", groups=["무명"], by=CLI_ACTOR)
        group = contacts.find_group("무명")
        added = contacts.add_to_request(SendRequest("안내", "010-1234-5678"), (group.id,),
                                        (made.id,))
    assert added.recipients == ("010-7000-0000",) and added.named == ()


def test_more_than_one_call_takes_is_refused_pointing_to_bulk(app, backend):
    with app.app_context():
        rows = [{"phone": f"010-6{i // 10000:03d}-{i % 10000:04d}", "name": ""}
                for i in range(1000)]
        from smsform.services import lists
        from tests.lists_support import csv_bytes
        report = lists.read_file(csv_bytes([("전화번호",), *((r["phone"],) for r in rows)]),
                                 "a.csv")
        contacts.import_report(report, group="큰", by=CLI_ACTOR)
        group = contacts.find_group("큰")
        result = sending.submit(_order(SendRequest("안내", "010-1234-5678"),
                                       groups=(group.id,)))
    assert result.status is Status.INVALID
    assert [p.code for p in result.problems] == ["address_book_too_many"]
    assert send_calls(backend) == [] and sends(app) == []


def test_an_unknown_group_is_a_problem_not_a_send(app, backend):
    with app.app_context():
        result = sending.submit(_order(SendRequest("안내", "010-1234-5678"), groups=(404,)))
    assert result.status is Status.INVALID
    assert [(p.field, p.code) for p in result.problems] == [("groups", "unknown_groups")]


def test_the_form_sends_to_a_ticked_group(app, backend, book):
    client = sign_in(app, "sender")
    answer = client.post("/smssend", data={**valid_send(rphone="", msg="{name}님 공지"),
                                           "groups": [str(book["VIP"])]})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    [row] = sends(app)
    assert row.recipient_count == 2 and "홍길동" in row.recipients


def test_the_form_refuses_too_many_in_korean(app, backend):
    client = sign_in(app, "sender")
    with app.app_context():
        from smsform.services import lists
        from tests.lists_support import csv_bytes
        numbers = [(f"010-6{i // 10000:03d}-{i % 10000:04d}",) for i in range(1000)]
        contacts.import_report(lists.read_file(csv_bytes([("전화번호",), *numbers]), "a.csv"),
                               group="큰", by=CLI_ACTOR)
        group_id = contacts.find_group("큰").id
    answer = client.post("/smssend?lang=ko", data={**valid_send(rphone=""),
                                                   "groups": [str(group_id)]})
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert "대량 발송" in text
    assert page(answer).select_one(f"#group-picker input[value='{group_id}'][checked]")
    assert send_calls(backend) == []


def test_the_form_opened_with_a_group_has_it_ticked(app, book):
    client = sign_in(app, "sender")
    shown = page(client.get(f"/smsform?group={book['행사']}"))
    box = shown.select_one("#group-picker input[name=groups]")
    assert box["value"] == str(book["행사"]) and box.has_attr("checked")
    plain = page(client.get("/smsform"))
    assert plain.select("#group-picker input") == []


def test_the_groups_list_for_the_chooser(app, book):
    client = sign_in(app, "sender")
    listed = client.get("/contacts/groups.json").get_json()
    assert [(g["name"], g["count"]) for g in listed["groups"]] == [("VIP", 2), ("행사", 2)]
    assert sign_in(app, "viewer").get("/contacts/groups.json").status_code == 403


def test_the_api_takes_groups_and_contacts(app, client, backend, book):
    from tests.api_support import bearer, token_user

    token = token_user(app)
    with app.app_context():
        third = contacts.find_by_phone("010-5000-0003")
    answer = client.post("/api/v1/messages", json={
        "from": "010-1234-5678", "text": "안내", "groups": [book["VIP"]],
        "contacts": [third.id]}, headers=bearer(token))
    assert answer.status_code == 201, answer.get_json()
    [row] = sends(app)
    assert row.recipient_count == 3 and row.source == "api"
    named = client.post("/api/v1/messages", json={
        "from": "010-1234-5678", "text": "{name}님", "groups": [book["VIP"]]},
        headers=bearer(token))
    assert named.status_code == 201
    unknown = client.post("/api/v1/messages", json={
        "from": "010-1234-5678", "text": "안내", "groups": [999]}, headers=bearer(token))
    assert unknown.status_code == 400 and "groups" in unknown.get_json()["errors"]
    nobody = client.post("/api/v1/messages", json={"from": "010-1234-5678", "text": "안내"},
                         headers=bearer(token))
    assert nobody.status_code == 400 and "to" in nobody.get_json()["errors"]


def test_the_form_sends_to_chosen_contacts_and_opens_with_one(app, backend, book):
    client = sign_in(app, "sender")
    with app.app_context():
        one = contacts.find_by_phone("010-5000-0001")
    opened = page(client.get(f"/smsform?contact={one.id}"))
    box = opened.select_one("#contact-chosen input[name=contacts]")
    assert box["value"] == str(one.id) and box.has_attr("checked")
    assert "홍길동" in opened.select_one("#contact-chosen").text
    answer = client.post("/smssend", data={**valid_send(rphone="010-2222-3333",
                                                        msg="안내"),
                                           "contacts": [str(one.id)]})
    assert answer.status_code == 200
    [row] = sends(app)
    assert row.recipient_count == 2 and "홍길동" in row.recipients


def test_the_contact_finder_answers_a_sender_not_a_viewer(app, book):
    client = sign_in(app, "sender")
    found = client.get("/contacts/choices.json", query_string={"q": "홍"}).get_json()
    assert [(c["name"], c["phone"], c["groups"]) for c in found["contacts"]] == [
        ("홍길동", "010-5000-0001", ["VIP"])]
    assert client.get("/contacts/choices.json").get_json() == {"contacts": [], "more": False}
    by_number = client.get("/contacts/choices.json", query_string={"q": "0002"}).get_json()
    assert [c["name"] for c in by_number["contacts"]] == ["김철수"]
    assert sign_in(app, "viewer").get("/contacts/choices.json?q=홍").status_code == 403
