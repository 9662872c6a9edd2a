"""The token API, /api/v1: every endpoint, its bearer-only authentication and roles, its
problem details in Korean and English, idempotency, paging, the rate limit, and that no
answer ever holds the gateway's key."""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

import config
from cafe24.message import NAME_LIMIT
from cafe24.schedule import KST
from simulator import DEMO_SECURE_KEY, DEMO_SENDERS
from smsform.api_schemas import MessageIn
from smsform.extensions import db
from smsform.models import ApiToken, Send, User
from smsform.services import accounts, api_tokens, sendlog, tokens
from smsform.services.audit import CLI_ACTOR
from tests.api_support import bearer, sends, token_rows, token_user
from tests.support import (
    UNREACHABLE_KEY,
    TextWork,
    build_app,
    make_user,
    send_calls,
    sign_in,
)

SENDER = DEMO_SENDERS[0]
MESSAGES = "/api/v1/messages"
PROBLEM = "application/problem+json"


def message(**overrides) -> dict:
    """A body that sends: an SMS from the first demo sender to one number."""
    return {"from": SENDER, "to": ["010-2222-3333"], "text": "안녕하세요", **overrides}


@pytest.fixture
def token(app) -> str:
    """A sender's token."""
    return token_user(app, "sender", "alice")


def post(client, token: str, body, **headers):
    return client.post(MESSAGES, json=body, headers=bearer(token, **headers))


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The answer is an RFC 9457 problem with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status
    assert body["type"].startswith("/static/api/index.html#problem-")
    if code is not None:
        assert body["code"] == code
    return body


# --- sending ---------------------------------------------------------------------------


def test_a_send_answers_201_with_the_logged_send(app, client, backend, token):
    response = post(client, token, message())
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "result", "code", "kind", "recipients", "cost", "forecast",
                         "remaining", "created_at", "advertising", "excluded", "opted_out"}
    assert (body["excluded"], body["opted_out"]) == ([], 0)  # nobody on the opt-out list
    assert (body["result"], body["code"], body["kind"]) == ("success", "success", "sms")
    assert (body["recipients"], body["cost"], body["remaining"]) == (1, 1, 999)
    assert body["created_at"].endswith("+09:00")
    assert response.headers["Location"] == f"{MESSAGES}/{body['id']}"
    [row] = sends(app)
    assert (row.id, row.source, row.actor, row.result) == (body["id"], "api", "alice", "success")
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize("script_root", ["/sms", "/sms app", "/문자".encode().decode("latin-1")])
def test_a_sends_location_is_its_address_under_the_apps_script_root(app, client, token,
                                                                    script_root):
    from flask import url_for
    from werkzeug.urls import iri_to_uri

    response = client.post(MESSAGES, json=message(), headers=bearer(token),
                           environ_overrides={"SCRIPT_NAME": script_root})
    assert response.status_code == 201, response.get_json()
    send_id = response.get_json()["id"]
    with app.test_request_context(environ_overrides={"SCRIPT_NAME": script_root}):
        # as Werkzeug writes a Location header (an IRI quoted)
        expected = iri_to_uri(url_for("api.get_message", send_id=send_id))
    assert response.headers["Location"] == expected


def test_auto_switches_to_lms_past_90_bytes_and_lms_is_forced(client, token):
    long_text = "가" * 46  # 92 bytes in EUC-KR
    assert post(client, token, message(text=long_text)).get_json()["kind"] == "lms"
    assert post(client, token, message(type="lms", text="짧은 글")).get_json()["kind"] == "lms"
    assert post(client, token, message(type="sms", text="짧은 글")).get_json()["kind"] == "sms"


def test_sms_past_90_bytes_is_refused_before_the_gateway(client, backend, token):
    body = assert_problem(post(client, token, message(type="sms", text="가" * 46),
                               **{"Accept-Language": "en"}), 400, "invalid")
    assert body["errors"]["type"] == [
        'Too long for an SMS: 92 bytes / at most 90 bytes. Send it with type "lms" or "auto".']
    assert send_calls(backend) == []


def test_named_recipients_fill_name(client, backend, token):
    response = post(client, token, message(
        text="{name}님 안녕하세요", to=[{"phone": "010-2222-3333", "name": "홍길동"},
                                      {"phone": "01044445555", "name": "김철수"}]))
    assert response.status_code == 201
    assert response.get_json()["recipients"] == 2
    [call] = send_calls(backend)
    assert "destination" in call.fields and call.fields.get("rphone", "") == ""


def test_names_are_sent_composed(client, backend, token):
    """A name in jamo (macOS) was judged composed but sent decomposed: more bytes than
    counted, and no EUC-KR for it at all."""
    jamo = unicodedata.normalize("NFD", "홍길동")
    response = post(client, token, message(text="{name}님 안녕하세요",
                                           to=[{"phone": "010-2222-3333", "name": jamo}]))
    assert response.status_code == 201
    [call] = send_calls(backend)
    assert call.fields["destination"] == "010-2222-3333|홍길동"


def test_a_name_past_the_limit_is_refused_with_or_without_placeholder(client, backend, token):
    for text in ("안녕하세요", "{name}님"):
        body = assert_problem(post(client, token, message(text=text, to=[
            {"phone": "010-2222-3333", "name": "가" * (NAME_LIMIT + 1)}]),
            **{"Accept-Language": "en"}), 400, "invalid")
        assert body["errors"]["to"] == [
            f"1 name is longer than {NAME_LIMIT} characters; shorten it"]
    # counted composed: 100 syllables pasted as jamo are 100 characters
    jamo = unicodedata.normalize("NFD", "한" * NAME_LIMIT)
    assert post(client, token, message(to=[{"phone": "010-2222-3333", "name": jamo}]),
                ).status_code == 201


def test_many_long_names_cost_work_in_proportion(monkeypatch, client, backend, token):
    """999 names of 100 characters and {name} 333 times: 4.3 s of CPU before the 400."""
    body = message(text="{name}" * 333, to=[
        {"phone": f"010-2222-{i:04d}", "name": "n" * 100} for i in range(999)])
    work = TextWork(monkeypatch)
    assert_problem(post(client, token, body), 400, "invalid")
    size = len(json.dumps(body))
    assert work.chars <= 10 * size, f"{work.chars:,} characters of work for {size:,}"
    assert send_calls(backend) == []


def test_name_without_names_is_a_problem_of_the_text(client, token):
    body = assert_problem(post(client, token, message(text="{name}님"),
                               **{"Accept-Language": "en"}), 400)
    assert body["errors"]["text"] == [
        "To use {name}, give the recipients as objects with a phone and a name."]


def test_a_reservation_without_offset_is_korea_time(app, client, token):
    when = (datetime.now(KST) + timedelta(days=1)).replace(second=0, microsecond=0)
    response = post(client, token, message(reserve_at=when.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 201
    assert response.get_json()["result"] == "reserved"
    [row] = sends(app)
    assert row.reserve_at == when.astimezone(UTC).replace(tzinfo=None)  # stored in UTC


@pytest.mark.parametrize("offset", ["Z", "+00:00", "-05:00"])
def test_a_reservation_with_an_offset_keeps_it(app, client, token, offset):
    zone = timezone(timedelta(hours=-5)) if offset == "-05:00" else UTC
    when = (datetime.now(zone) + timedelta(days=2)).replace(microsecond=0)
    text = when.strftime("%Y-%m-%dT%H:%M:%S") + offset
    assert post(client, token, message(reserve_at=text)).status_code == 201
    [row] = sends(app)
    assert row.reserve_at == when.astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize(("field", "value", "where"), [
    ("reserve_at", "tomorrow", "reserve_at"),
    ("reserve_at", "2030-03-01", "reserve_at"),
    ("reserve_at", "2020-03-01T09:00", "reserve_at"),  # in the past
    ("repeat", {"count": 11, "every_minutes": 30}, "repeat.count"),
    ("repeat", {"count": 2, "every_minutes": 5}, "repeat.every_minutes"),
    ("repeat", {"count": 2}, "repeat.every_minutes"),
    ("to", ["010-2222-3333", {"phone": 1}], "to.1.phone"),
    ("to", ["not a number"], "to"),
    ("to", [], "to"),
    ("from", "12", "from"),
    ("from", 1234, "from"),
    ("text", "", "text"),
    ("text", "됬", "text"),
    ("type", "mms", "type"),
    ("test", "true", "test"),
    ("subject", ["x"], "subject"),
    ("surprise", 1, "surprise"),
])
def test_invalid_input_is_400_by_field_and_never_sent(app, client, backend, token, field,
                                                      value, where):
    body = assert_problem(post(client, token, message(**{field: value})), 400)
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [where]
    assert all(isinstance(m, str) and m for m in body["errors"][where])
    assert send_calls(backend) == [] and sends(app) == []


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    (b"{not json", "application/json", 400, "malformed_json"),
    (b"[1, 2]", "application/json", 400, "malformed_json"),
    (b"", "application/json", 400, "malformed_json"),
    (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
    (b"from=010", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"{}", "text/plain", 415, "unsupported_media_type"),
    (b'{"text": "' + b"a" * 300_000 + b'"}', "application/json", 413,
     "request_entity_too_large"),
])
def test_bodies_that_are_not_a_message_are_4xx(app, client, backend, token, data,
                                               content_type, status, code):
    response = client.post(MESSAGES, data=data, content_type=content_type,
                           headers=bearer(token))
    assert_problem(response, status, code)
    assert send_calls(backend) == [] and sends(app) == []


def test_a_chunked_body_past_the_limit_is_413(app, client, backend, token):
    response = client.post(
        MESSAGES, input_stream=io.BytesIO(b'{"text": "' + b"a" * 300_000 + b'"}'),
        headers=bearer(token, **{"Content-Type": "application/json",
                                 "Transfer-Encoding": "chunked"}),
        environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 413, "request_entity_too_large")
    assert send_calls(backend) == [] and sends(app) == []


def test_the_api_needs_no_csrf_token(csrf_app):
    token = token_user(csrf_app)
    assert post(csrf_app.test_client(), token, message()).status_code == 201


def test_a_test_send_costs_nothing(client, token):
    body = post(client, token, message(test=True)).get_json()
    assert (body["result"], body["code"], body["cost"]) == ("test", "test", 0)


def test_a_refusal_is_422_with_the_gateway_code_and_the_send(app, client, token):
    body = assert_problem(post(client, token, message(**{"from": "010-9999-9999"})), 422,
                          "-114")
    assert body["type"].endswith("#problem-refused")
    assert (body["result"], body["id"]) == ("refused", sends(app)[0].id)


def test_an_unknown_outcome_is_502_with_the_id_to_look_it_up(scripted_backend):
    app = build_app(scripted_backend)
    token = token_user(app)
    scripted_backend.answer = "<html>maintenance</html>"
    body = assert_problem(post(app.test_client(), token, message()), 502, "unknown")
    [row] = sends(app)
    assert (body["id"], body["result"], row.result) == (row.id, "unknown", "unknown")


def test_a_gateway_never_reached_is_503_and_nothing_sent(closed_port):
    app = build_app(None, CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{closed_port}",
                    CAFE24_SMS_USER_ID="shop", CAFE24_SMS_SECURE_KEY=UNREACHABLE_KEY,
                    CAFE24_SMS_CONNECT_TIMEOUT="1")
    token = token_user(app)
    response = post(app.test_client(), token, message())
    body = assert_problem(response, 503, "not_sent")
    assert body["result"] == "not_sent"
    assert UNREACHABLE_KEY not in response.get_data(as_text=True)


# --- problem details in Korean and English -----------------------------------------------


def test_problems_are_korean_unless_english_is_preferred(client, token):
    korean = assert_problem(post(client, token, message(to=["abc"])), 400)
    english = assert_problem(post(client, token, message(to=["abc"]),
                                  **{"Accept-Language": "en-US,en;q=0.9,ko;q=0.5"}), 400)
    assert korean["errors"]["to"] == ["올바르지 않은 전화번호가 있습니다: abc"]
    assert english["errors"]["to"] == ["This is not a valid phone number: abc"]
    assert korean["detail"].startswith("입력값을 확인하세요")
    assert english["detail"].startswith("Check your input")
    still_korean = assert_problem(post(client, token, message(to=["abc"]),
                                       **{"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}), 400)
    assert still_korean["errors"] == korean["errors"]


def test_the_apis_language_is_accept_languages_never_the_cookies_nor_lang(client, token):
    """The pages' choice (``?lang=``, then the cookie) does not reach the API, in the view's
    own words (a refused template) as in the gate's (a wrong token)."""
    client.set_cookie("lang", "en")
    refused = assert_problem(client.post(MESSAGES + "?lang=en", json={
        "from": "010-1234-5678", "to": ["010-2222-3333"], "template_id": 999},
        headers=bearer(token)), 400)
    assert "템플릿" in refused["errors"]["template_id"][0]
    assert "토큰" in assert_problem(client.get("/api/v1/balance?lang=en",
                                               headers=bearer("smsf_nope")), 401)["detail"]
    english = assert_problem(client.get("/api/v1/balance", headers=bearer(
        "smsf_nope", **{"Accept-Language": "en"})), 401)
    assert english["detail"].startswith("Send a valid API token")


def test_every_error_under_the_api_is_a_problem(client, token):
    assert_problem(client.get("/api/v1/nothing-here", headers=bearer(token)), 404, "not_found")
    response = client.delete(MESSAGES, headers=bearer(token))
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


# --- idempotency --------------------------------------------------------------------------


def test_the_same_key_and_body_replay_the_first_answer(app, client, backend, token):
    first = post(client, token, message(), **{"Idempotency-Key": "order-1"})
    again = post(client, token, message(), **{"Idempotency-Key": "order-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(send_calls(backend)) == 1 and len(sends(app)) == 1


def test_a_replayed_unknown_outcome_is_the_same_502(scripted_backend):
    app = build_app(scripted_backend)
    token, client = token_user(app), app.test_client()
    scripted_backend.answer = "<html>maintenance</html>"
    first = post(client, token, message(), **{"Idempotency-Key": "k"})
    again = post(client, token, message(), **{"Idempotency-Key": "k"})
    assert (first.status_code, again.status_code) == (502, 502)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(send_calls(scripted_backend)) == 1


def test_the_same_key_with_another_body_is_422(app, client, backend, token):
    post(client, token, message(), **{"Idempotency-Key": "order-2"})
    body = assert_problem(post(client, token, message(text="다른 글"),
                               **{"Idempotency-Key": "order-2"}), 422,
                          "idempotency_key_reused")
    assert body["id"] == sends(app)[0].id
    assert len(send_calls(backend)) == 1


def test_the_same_key_while_the_first_is_in_flight_is_409(app, client, backend, token):
    send_request, _reading, _own = MessageIn.model_validate(message()).to_request()
    with app.app_context():
        user_id = accounts.find_user("alice").id
        sendlog.record_intent(send_request, user_id=user_id, actor="alice", source="api",
                              address=None, send_key=tokens.header_key(user_id, "slow"),
                              digest=sendlog.request_hash(send_request))
    assert_problem(post(client, token, message(), **{"Idempotency-Key": "slow"}), 409,
                   "in_flight")
    assert send_calls(backend) == []


def test_keys_belong_to_their_user(app, client, backend, token):
    other = token_user(app, "sender", "bob")
    post(client, token, message(), **{"Idempotency-Key": "shared"})
    response = post(client, other, message(), **{"Idempotency-Key": "shared"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert len(send_calls(backend)) == 2


def test_an_unusable_key_is_400(client, backend, token):
    body = assert_problem(post(client, token, message(), **{"Idempotency-Key": "k" * 41}),
                          400, "invalid_idempotency_key")
    assert "Idempotency-Key" in body["errors"]
    assert send_calls(backend) == []


# --- reading ------------------------------------------------------------------------------


def test_one_send_in_full(client, token):
    sent = post(client, token, message(subject="", text="조회")).get_json()
    response = client.get(f"{MESSAGES}/{sent['id']}", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in sent} == sent
    assert (body["from"], body["text"], body["source"], body["user"]) == (
        SENDER, "조회", "api", "alice")
    assert people(body["to"]) == [{"phone": "010-2222-3333", "name": None}]


def people(recipients: list[dict]) -> list[dict]:
    """The recipients' numbers and names (their delivery is tests/test_delivery.py's)."""
    return [{"phone": r["phone"], "name": r["name"]} for r in recipients]


def test_a_send_of_another_user_is_masked_but_an_admin_reads_any_in_full(app, client, token):
    sent = post(client, token, message(to=[{"phone": "010-2222-3333", "name": "홍길동"}],
                                       text="{name}님 안녕하세요")).get_json()
    other = token_user(app, "sender", "bob")
    admin = token_user(app, "admin", "root")
    body = client.get(f"{MESSAGES}/{sent['id']}", headers=bearer(other)).get_json()
    assert people(body["to"]) == [{"phone": "010-****-3333", "name": "홍*동"}]  # visibility
    body = client.get(f"{MESSAGES}/{sent['id']}", headers=bearer(admin)).get_json()
    assert people(body["to"]) == [{"phone": "010-2222-3333", "name": "홍길동"}]
    body = client.get(f"{MESSAGES}/{sent['id']}", headers=bearer(token)).get_json()
    assert people(body["to"]) == [{"phone": "010-2222-3333", "name": "홍길동"}]
    assert_problem(client.get(f"{MESSAGES}/999999", headers=bearer(admin)), 404)
    assert_problem(client.get(f"{MESSAGES}/{2**64}", headers=bearer(admin)), 404)


def test_numbers_are_masked_for_a_reader_who_may_not_see_them(app, client, token):
    sent = post(client, token, message()).get_json()
    with app.app_context():
        accounts.set_role(accounts.find_user("alice"), "viewer", by=CLI_ACTOR)
    body = client.get(f"{MESSAGES}/{sent['id']}", headers=bearer(token)).get_json()
    assert people(body["to"]) == [{"phone": "010-****-3333", "name": None}]


def test_the_log_pages_by_cursor_without_gaps_or_repeats(app, client, token):
    ids = [post(client, token, message(text=f"글 {i}")).get_json()["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(MESSAGES, query_string=query, headers=bearer(token)).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True) and pages == 3


def test_the_log_filters_like_the_send_log(app, client, token):
    post(client, token, message(text="배송 안내", to=["010-5555-6666"]))
    post(client, token, message(**{"from": "010-9999-9999"}))
    other = token_user(app, "sender", "bob")
    post(client, other, message(text="남의 글"))

    def ids(**query):
        body = client.get(MESSAGES, query_string=query, headers=bearer(token)).get_json()
        return [item["result"] for item in body["items"]]

    assert ids() == ["success", "refused", "success"]  # everyone's, as /sends lists them
    assert ids(result="refused") == ["refused"]
    assert ids(q="010-5555-6666") == ["success"]
    assert ids(q="배송") == ["success"]
    assert ids(q="남의") == ["success"]
    assert ids(q="010-2222-3333") == ["refused"]  # one's own only: bob's send there is masked
    today = datetime.now(KST).date()
    assert ids(**{"from": today.isoformat(), "to": today.isoformat()}) == [
        "success", "refused", "success"]
    assert ids(**{"to": (today - timedelta(days=1)).isoformat()}) == []


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=x", "result=lost", "from=2026-13-01", "from=1999-01-01",
    "from=2026-03-02&to=2026-03-01", "cursor=forged", "limit=1&limit=2",
])
def test_bad_log_queries_are_400(client, token, query):
    body = assert_problem(client.get(f"{MESSAGES}?{query}", headers=bearer(token)), 400)
    assert body["errors"]


def test_the_list_reads_words_as_the_send_log_does(app, client, token):
    post(client, token, message(text="재입고 SALE 알림"))
    post(client, token, message(text="배송 안내"))
    # A word with more forms in the texts than the log's index expands: the 400 /sends gives.
    post(client, token, message(text="곧 바뀔 글"))
    common = "".join(f"a{chr(0xAC00 + 2 * i)}{chr(0xAC01 + 2 * i)}" for i in range(1002))
    with app.app_context():  # 1,002 words that start with "a", as years of texts could hold
        db.session.execute(update(Send).where(Send.id == 3).values(text=common))
        db.session.commit()

    def texts(**query):
        body = client.get(MESSAGES, query_string=query, headers=bearer(token)).get_json()
        return [item["id"] for item in body["items"]]

    assert texts(q="입고 sale") == [1]  # a two-letter word and another case
    assert texts(q="안내 재입고") == []
    body = assert_problem(client.get(MESSAGES, query_string={"q": "a"},
                                     headers=bearer(token)), 400, "invalid")
    assert "q" in body["errors"]
    web = sign_in(app, "admin")
    assert web.get("/sends?q=a", headers={"Accept": "application/json"}).status_code == 400


def test_an_admin_lists_everyone(app, client, token):
    post(client, token, message())
    admin = token_user(app, "admin", "root")
    items = client.get(MESSAGES, headers=bearer(admin)).get_json()["items"]
    assert [item["user"] for item in items] == ["alice"]


def test_balance_and_what_it_buys(client, token):
    assert client.get("/api/v1/balance", headers=bearer(token)).get_json() == {
        "remaining": 1000, "sms": 1000, "lms": 333}


def test_senders(client, token):
    assert client.get("/api/v1/senders", headers=bearer(token)).get_json() == {
        "senders": list(DEMO_SENDERS)}


def test_a_gateway_that_refuses_a_look_up_is_502(client, token, wrong_key_account):  # noqa: F811
    assert_problem(client.get("/api/v1/balance", headers=bearer(token)), 502, "gateway_error")


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [MESSAGES, f"{MESSAGES}/1", "/api/v1/balance",
                                  "/api/v1/senders"])
def test_no_token_is_401_with_www_authenticate(client, path):
    response = client.get(path)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer smsf_000000000000_" + "A" * 43, "Bearer nonsense", "Basic YWxpY2U6cHc=", "Bearer"])
def test_a_wrong_token_is_401(client, token, header):
    response = client.get("/api/v1/balance", headers={"Authorization": header})
    assert_problem(response, 401)


def test_a_token_with_a_changed_secret_is_401(client, token):
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_problem(client.get("/api/v1/balance", headers=bearer(forged)), 401)


def test_a_revoked_token_is_401(app, client, token):
    with app.app_context():
        user = accounts.find_user("alice")
        [info] = api_tokens.list_tokens(user.id)
        api_tokens.revoke(info.id, user_id=user.id, by=CLI_ACTOR)
    assert_problem(client.get("/api/v1/balance", headers=bearer(token)), 401)


def test_a_disabled_users_token_is_401(app, client, token):
    assert client.get("/api/v1/balance", headers=bearer(token)).status_code == 200
    make_user(app, "root", "a-long-enough-password", "admin")
    with app.app_context():
        accounts.disable(accounts.find_user("alice"), by=CLI_ACTOR)
    assert_problem(client.get("/api/v1/balance", headers=bearer(token)), 401)


def test_a_viewers_token_reads_but_may_not_send(app, client, backend):
    viewer = token_user(app, "viewer", "vera")
    assert client.get("/api/v1/balance", headers=bearer(viewer)).status_code == 200
    assert_problem(post(client, viewer, message()), 403, "forbidden")
    assert send_calls(backend) == []


def test_a_token_is_not_stopped_by_a_password_to_change(app, client, token):
    with app.app_context():
        db.session.execute(update(User).where(User.username == "alice")
                           .values(must_change_password=True))
        db.session.commit()
    assert client.get("/api/v1/balance", headers=bearer(token)).status_code == 200


def test_a_session_opens_nothing_in_the_api_and_the_bearer_wins(app, token):
    browser = sign_in(app, "admin")
    assert_problem(browser.get("/api/v1/balance"), 401)
    body = post(browser, token, message()).get_json()
    assert sends(app)[0].actor == "alice" and body["result"] == "success"


def test_a_sessions_password_to_change_does_not_stop_the_bearer(app, token, backend):
    """The API's gate reads the token itself: a browser's session in the same client (its
    user with a password to change) is never loaded, so it cannot turn the send into the
    account page's 403."""
    browser = sign_in(app, "admin", "root")
    with app.app_context():
        db.session.execute(update(User).where(User.username == "root")
                           .values(must_change_password=True))
        db.session.commit()
    assert browser.get("/smsform").headers["Location"] == "/account"
    response = post(browser, token, message())
    assert response.status_code == 201, response.get_json()
    assert sends(app)[0].actor == "alice" and len(send_calls(backend)) == 1


def test_a_bearer_request_never_sets_a_cookie(app, client, token):
    for response in (client.get("/api/v1/balance", headers=bearer(token)),
                     post(client, token, message()),
                     client.get("/api/v1/balance")):
        assert "Set-Cookie" not in response.headers
    browser = sign_in(app, "admin")
    assert "Set-Cookie" not in browser.get("/api/v1/balance", headers=bearer(token)).headers


def test_a_token_past_its_rate_is_429_with_retry_after(backend):
    app = build_app(backend, SMSFORM_API_RATE="2/minute")
    token, client = token_user(app), app.test_client()
    other = token_user(app, "sender", "bob")
    for _ in range(2):
        assert client.get("/api/v1/balance", headers=bearer(token)).status_code == 200
    response = client.get("/api/v1/balance", headers=bearer(token))
    assert_problem(response, 429, "too_many_requests")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/balance", headers=bearer(other)).status_code == 200


def test_an_unreachable_rate_storage_still_counts_the_token_in_memory(backend, caplog):
    from tests.db import free_port

    app = build_app(backend, SMSFORM_API_RATE="2/minute",
                    SMSFORM_RATELIMIT_STORAGE=f"redis://127.0.0.1:{free_port()}")
    token, client = token_user(app), app.test_client()
    statuses = [client.get("/api/v1/balance", headers=bearer(token)).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "counting in memory" in caplog.text


def test_the_last_use_is_noted_at_most_once_a_minute(app, client, token):
    client.get("/api/v1/balance", headers=bearer(token))
    [first] = token_rows(app)
    client.get("/api/v1/balance", headers=bearer(token))
    [second] = token_rows(app)
    assert first.last_used_at is not None and second.last_used_at == first.last_used_at
    with app.app_context():
        db.session.execute(update(ApiToken).values(
            last_used_at=first.last_used_at - timedelta(minutes=2)))
        db.session.commit()
    client.get("/api/v1/balance", headers=bearer(token))
    [third] = token_rows(app)
    assert third.last_used_at > first.last_used_at - timedelta(minutes=1)


# --- secrets ------------------------------------------------------------------------------


def test_tokens_are_stored_only_as_a_digest(app, token):
    [row] = token_rows(app)
    stored = " ".join(str(v) for v in vars(row).values())
    secret = token.split("_", 2)[2]  # all after the prefix (the secret may hold "_" itself)
    assert token not in stored and secret not in stored
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(f"smsf_{row.prefix}_")


def test_the_gateway_key_is_in_no_answer(app, client, token, scripted_backend):
    answers = [
        post(client, token, message()), post(client, token, message(**{"from": "1"})),
        post(client, token, message(**{"from": "010-9999-9999"})),
        client.get(MESSAGES, headers=bearer(token)), client.get(f"{MESSAGES}/1",
                                                                headers=bearer(token)),
        client.get("/api/v1/balance", headers=bearer(token)),
        client.get("/api/v1/senders", headers=bearer(token)),
        client.get("/api/v1/openapi.json"),
    ]
    unknown_app = build_app(scripted_backend)
    scripted_backend.answer = f"<html>{DEMO_SECURE_KEY}</html>"
    answers.append(post(unknown_app.test_client(), token_user(unknown_app), message()))
    for response in answers:
        text = response.get_data(as_text=True) + json.dumps(dict(response.headers))
        assert DEMO_SECURE_KEY not in text


# --- the document -------------------------------------------------------------------------


def test_the_document_is_public_and_made_from_the_request_models(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    expected = json.loads(json.dumps(MessageIn.model_json_schema(
        ref_template="#/components/schemas/{model}")))
    expected.pop("$defs", None)
    assert schemas["MessageIn"] == expected
    body = doc["paths"][MESSAGES]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/MessageIn"}
    assert {"401", "403", "429"} <= set(doc["paths"]["/api/v1/balance"]["get"]["responses"])
    assert doc["x-problems"]["refused"]


def test_the_reference_page_is_served_from_static(client):
    page_ = client.get("/static/api/index.html")
    assert page_.status_code == 200
    assert 'src="reference.js"' in page_.get_data(as_text=True)
    script = client.get("/static/api/reference.js").get_data(as_text=True)
    assert "openapi.json" in script and "http" not in script.split("DOCUMENT_URL")[0]


# --- the setting ----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "parsed"), [
    ("", "60/minute"), ("100/hour", "100/hour"), ("5 per second", "5/second"),
    ("1000 per days", "1000/day"), (" 30/Minute ", "30/minute")])
def test_the_api_rate_setting(tmp_path, raw, parsed):
    settings = config.from_env({"SMSFORM_API_RATE": raw, "SECRET_KEY": "x",
                                "DATABASE_URL": "sqlite://"}, tmp_path)
    assert settings.api_rate == parsed


@pytest.mark.parametrize("raw", ["0/minute", "60", "many/minute", "60/fortnight", "-1/hour"])
def test_a_bad_api_rate_names_the_variable(tmp_path, raw):
    with pytest.raises(config.SettingsError) as refused:
        config.from_env({"SMSFORM_API_RATE": raw, "SECRET_KEY": "x",
                         "DATABASE_URL": "sqlite://"}, tmp_path)
    assert refused.value.variable == "SMSFORM_API_RATE"
