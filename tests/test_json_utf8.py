"""JSON answers are UTF-8 as written (Korean is not escaped as \\uXXXX) and say their
charset: the API's answers and problems, /smssend's JSON, the admin's lists."""

from __future__ import annotations

import pytest

from tests.api_support import bearer, token_user
from tests.support import sign_in, valid_send

KOREAN = "안녕하세요"


def utf8_json(answer, mimetype: str = "application/json") -> str:
    """The body as text, after checking the content type names UTF-8 and nothing is
    escaped."""
    assert answer.headers["Content-Type"] == f"{mimetype}; charset=utf-8"
    text = answer.get_data().decode("utf-8")
    assert "\\u" not in text
    return text


def test_an_api_send_and_its_look_up_are_utf8(app):
    token = token_user(app, "sender")
    client = app.test_client()
    sent = client.post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": KOREAN})
    assert sent.status_code == 201
    utf8_json(sent)  # its members hold no text
    looked_up = client.get(sent.headers["Location"], headers=bearer(token))
    assert KOREAN in utf8_json(looked_up)
    listed = client.get("/api/v1/messages", headers=bearer(token))
    utf8_json(listed)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}])
def test_an_api_problem_is_utf8(client, headers):
    answer = client.get("/api/v1/balance", headers=headers)
    assert answer.status_code == 401
    assert "토큰" in utf8_json(answer, "application/problem+json")


def test_a_problem_of_a_refused_send_is_utf8(app):
    token = token_user(app, "viewer")
    answer = app.test_client().post("/api/v1/messages", headers=bearer(token), json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "text": KOREAN})
    assert answer.status_code == 403
    utf8_json(answer, "application/problem+json")


def test_the_openapi_document_is_utf8(client):
    utf8_json(client.get("/api/v1/openapi.json"))


def test_the_forms_json_answers_are_utf8(app):
    web = sign_in(app, "sender")
    invalid = web.post("/smssend", headers={"Accept": "application/json"}, data={})
    assert invalid.status_code == 400 and "메시지를 입력해 주세요" in utf8_json(invalid)
    sent = web.post("/smssend", headers={"Accept": "application/json"},
                    data=valid_send(msg=KOREAN))
    assert sent.status_code == 200
    utf8_json(sent)


def test_the_admins_json_lists_are_utf8(app):
    admin = sign_in(app, "admin")
    assert "admin-user" in utf8_json(admin.get("/admin/users?format=json"))
