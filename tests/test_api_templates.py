"""Templates in the token API: GET /api/v1/templates[/{id}] and template_id on a send."""

from __future__ import annotations

import pytest

from simulator import DEMO_SENDERS
from smsform.services import templates
from smsform.services.audit import CLI_ACTOR
from tests.api_support import bearer, sends, token_user
from tests.support import send_calls
from tests.test_api import assert_problem

MESSAGES = "/api/v1/messages"
NOTICE = "{name}님, 주문하신 상품이 발송되었습니다."


@pytest.fixture
def token(app) -> str:
    return token_user(app, "sender", "alice")


def saved(app, name: str = "발송 안내", text: str = NOTICE, **values) -> int:
    with app.app_context():
        return templates.create(name, text, by=CLI_ACTOR, **values).id


def test_the_list_and_one_template(app, client, token):
    notice = saved(app, subject="배송", kind="lms")
    short = saved(app, "가 안내", "곧 도착합니다", kind="sms")
    listed = client.get("/api/v1/templates", headers=bearer(token))
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [t["id"] for t in items] == [short, notice]  # by name
    one = client.get(f"/api/v1/templates/{notice}", headers=bearer(token)).get_json()
    assert one == items[1]
    assert {k: one[k] for k in ("name", "text", "subject", "type", "advertising", "fields",
                                "kind", "bytes", "updated_by")} == {
        "name": "발송 안내", "text": NOTICE, "subject": "배송", "type": "lms",
        "advertising": False, "fields": ["name"], "kind": "lms",
        "bytes": len(NOTICE.encode("euc-kr")), "updated_by": "cli"}
    assert one["updated_at"].endswith("+09:00")


def test_a_viewer_reads_templates_and_an_unknown_one_is_not_found(app, client):
    viewer = token_user(app, "viewer", "vera")
    saved(app)
    assert len(client.get("/api/v1/templates", headers=bearer(viewer)).get_json()["items"]) == 1
    body = assert_problem(client.get("/api/v1/templates/77", headers=bearer(viewer)), 404,
                          "not_found")
    assert "77" in body["detail"]
    assert client.get("/api/v1/templates").status_code == 401


def test_a_send_with_template_id_sends_the_templates_text_subject_and_type(app, client,
                                                                           token, backend):
    template_id = saved(app, subject="배송", kind="lms")
    answer = client.post(MESSAGES, headers=bearer(token), json={
        "from": DEMO_SENDERS[0], "to": [{"phone": "010-2222-3333", "name": "홍길동"}],
        "template_id": template_id})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["kind"] == "lms"
    [call] = send_calls(backend)
    assert (call.fields["msg"], call.fields["subject"], call.fields["smsType"]) == (
        NOTICE, "배송", "L")
    assert call.fields["destination"] == "010-2222-3333|홍길동"
    [row] = sends(app)
    assert (row.text, row.source) == (NOTICE, "api")


def test_the_body_may_choose_its_own_subject_and_type(app, client, token, backend):
    template_id = saved(app, "짧은", "곧 도착합니다", subject="안내", kind="lms")
    answer = client.post(MESSAGES, headers=bearer(token), json={
        "from": DEMO_SENDERS[0], "to": ["010-2222-3333"], "template_id": template_id,
        "type": "auto", "subject": ""})
    assert answer.status_code == 201
    [call] = send_calls(backend)
    assert call.fields["smsType"] == "S"


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "안녕", "template_id": 1}, "template_id"),
    ({}, "text"),
    ({"template_id": 0}, "template_id"),
    ({"template_id": "1"}, "template_id"),
    ({"template_id": None}, "template_id"),
    ({"text": None, "template_id": 1}, "text"),
])
def test_text_or_template_id_one_of_them(app, client, token, backend, body, field):
    saved(app)
    answer = client.post(MESSAGES, headers=bearer(token),
                         json={"from": DEMO_SENDERS[0], "to": ["010-2222-3333"], **body})
    problem = assert_problem(answer, 400, "invalid")
    assert list(problem["errors"]) == [field]
    assert send_calls(backend) == [] and sends(app) == []


def test_an_unknown_template_id_sends_nothing(app, client, token, backend):
    answer = client.post(MESSAGES, headers=bearer(token, **{"Accept-Language": "en"}), json={
        "from": DEMO_SENDERS[0], "to": ["010-2222-3333"], "template_id": 12})
    problem = assert_problem(answer, 400, "invalid")
    assert "There is no template 12" in problem["errors"]["template_id"][0]
    assert send_calls(backend) == [] and sends(app) == []


def test_the_openapi_document_describes_templates(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/templates", "/api/v1/templates/{id}"} <= document["paths"].keys()
    message_in = document["components"]["schemas"]["MessageIn"]
    assert "template_id" in message_in["properties"]
    assert "text" not in message_in.get("required", [])
    assert "TemplateOut" in document["components"]["schemas"]
