"""Throttling beyond one token: requests counted per user as well as per token, a cap on a
user's live tokens, and wrong token secrets and relay keys counted per address (429 with
Retry-After past the window's allowance), logged without the secret, the first audited."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from simulator import GatewayBackend
from smsform import limiter
from smsform.services import accounts, api_tokens, relay_sites
from smsform.services.audit import CLI_ACTOR
from tests.api_support import PASSWORD, audit_events, bearer, token_user
from tests.support import b64, build_app, field_errors, make_user, page, send_calls, sign_in
from tests.test_api import assert_problem
from tests.test_relay import SENDER, jsp_send_body

FAILURES = limiter.CREDENTIAL_FAILURES.amount


def another_token(app: Flask, username: str, name: str) -> str:
    with app.app_context():
        return api_tokens.create(accounts.find_user(username), name, by=CLI_ACTOR).token


# -- per user as well as per token ----------------------------------------------------------


def test_a_users_tokens_share_one_rate(backend: GatewayBackend):
    app = build_app(backend, SMSFORM_API_RATE="2/minute")
    first = token_user(app, "sender", "kim")
    second = another_token(app, "kim", "second")
    other = token_user(app, "sender", "lee")
    client = app.test_client()
    assert client.get("/api/v1/balance", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/balance", headers=bearer(second)).status_code == 200
    response = client.get("/api/v1/balance", headers=bearer(second))
    body = assert_problem(response, 429, "too_many_requests")
    assert "계정의 토큰들을 합쳐" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert_problem(client.get("/api/v1/balance", headers=bearer(first)), 429)
    assert client.get("/api/v1/balance", headers=bearer(other)).status_code == 200


# -- live tokens per user ----------------------------------------------------------------


def test_a_user_may_hold_only_so_many_live_tokens(backend: GatewayBackend):
    app = build_app(backend, SMSFORM_MAX_TOKENS="2")
    token_user(app, "sender", "kim")
    another_token(app, "kim", "second")
    with app.app_context(), pytest.raises(api_tokens.TokenError) as refused:
        api_tokens.create(accounts.find_user("kim"), "third", by=CLI_ACTOR)
    assert refused.value.code == "too_many_tokens"
    result = app.test_cli_runner().invoke(args=["token", "create", "--user", "kim",
                                                "--name", "third"])
    assert result.exit_code == 1 and "2" in result.output
    with app.app_context():
        (first, *_rest) = api_tokens.list_tokens(accounts.find_user("kim").id)
        api_tokens.revoke(first.id, user_id=accounts.find_user("kim").id, by=CLI_ACTOR)
    another_token(app, "kim", "third")  # a revoked token no longer counts


def test_the_tokens_page_says_why_no_more_can_be_made(backend: GatewayBackend):
    app = build_app(backend, SMSFORM_MAX_TOKENS="1")
    browser = sign_in(app, "sender", "kim")
    assert browser.post("/account/tokens", data={"name": "one"}).status_code == 200
    answer = browser.post("/account/tokens", data={"name": "two"})
    assert answer.status_code == 400
    (sentence,) = field_errors(page(answer), "name")
    assert "1" in sentence and "폐기" in sentence


# -- wrong token secrets per address ----------------------------------------------------------


def test_wrong_tokens_from_an_address_are_counted_then_refused(app, caplog):
    right = token_user(app)
    wrong = right[:-4] + ("AAAA" if not right.endswith("AAAA") else "BBBB")
    client = app.test_client()
    caplog.set_level(logging.WARNING, "smsform.credentials")
    for _ in range(FAILURES):
        assert_problem(client.get("/api/v1/balance", headers=bearer(wrong)), 401)
    response = client.get("/api/v1/balance", headers=bearer(right))  # even the right one
    body = assert_problem(response, 429, "too_many_failures")
    assert "주소" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    other = client.get("/api/v1/balance", headers=bearer(right),
                       environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200  # per address
    assert wrong not in caplog.text and wrong.rsplit("_", 1)[1] not in caplog.text
    assert caplog.text.count("api_token refused from 127.0.0.1") == FAILURES
    assert wrong.split("_")[1] in caplog.text  # the public prefix names it
    (event,) = audit_events(app, "api_token_refused")  # the first of the window only
    assert event.address == "127.0.0.1"
    assert wrong.rsplit("_", 1)[1] not in (event.detail or "")


def test_a_right_token_is_never_counted_as_a_failure(app):
    right = token_user(app)
    client = app.test_client()
    for _ in range(FAILURES + 5):
        assert client.get("/api/v1/senders", headers=bearer(right)).status_code == 200
    assert audit_events(app, "api_token_refused") == []


# -- wrong relay keys per address ---------------------------------------------------------


def relay_post(client, body: str, address: str = "127.0.0.1"):
    return client.post("/relay/sms_sender.php", data=body,
                       content_type="application/x-www-form-urlencoded",
                       environ_base={"REMOTE_ADDR": address})


def test_wrong_relay_keys_from_an_address_are_counted_then_refused(backend, caplog):
    app = build_app(backend, RELAY_RATE_LIMIT="1000 per minute")
    with app.app_context():
        issued = relay_sites.create_site("shop", [SENDER], by=CLI_ACTOR)
    client = app.test_client()
    caplog.set_level(logging.WARNING, "smsform.credentials")
    wrong_key = "wrong-" + issued.secure[6:]
    for _ in range(FAILURES):
        answer = relay_post(client, jsp_send_body(issued, secure=b64(wrong_key),
                                                  testflag=b64("Y")))
        assert answer.get_data() == b"-102,"
    answer = relay_post(client, jsp_send_body(issued, testflag=b64("Y")))  # the right key
    assert (answer.status_code, answer.get_data()) == (429, b"-203,")
    assert 1 <= int(answer.headers["Retry-After"]) <= 15 * 60
    other = relay_post(client, jsp_send_body(issued, testflag=b64("Y")), "10.9.9.9")
    assert other.get_data().startswith(b"Test Success!")
    assert wrong_key not in caplog.text and issued.secure not in caplog.text
    assert caplog.text.count("relay_key refused from 127.0.0.1 (site shop)") == FAILURES
    (event,) = audit_events(app, "relay_key_refused")
    assert event.address == "127.0.0.1"
    assert backend.calls[-1:] and len(backend.calls) == 1


def test_the_audit_page_names_the_refusals(app):
    client = app.test_client()
    client.get("/api/v1/balance", headers=bearer("smsf_0123456789ab_" + "x" * 43))
    make_user(app, "boss", PASSWORD, "admin")
    admin = sign_in(app, "admin")
    text = page(admin.get("/audit")).get_text()
    assert "잘못된 API 토큰" in text


# -- read-only tokens ------------------------------------------------------------------------


def test_a_read_only_token_reads_but_never_sends(app, backend):
    make_user(app, "kim", PASSWORD, "sender")
    with app.app_context():
        token = api_tokens.create(accounts.find_user("kim"), "report", by=CLI_ACTOR,
                                  read_only=True).token
    client = app.test_client()
    body = {"from": SENDER, "to": ["010-2222-3333"], "text": "안녕하세요"}
    answer = client.post("/api/v1/messages", json=body, headers=bearer(token))
    problem = assert_problem(answer, 403, "read_only_token")
    assert "읽기 전용" in problem["detail"]
    assert send_calls(backend) == []
    for path in ("/api/v1/messages", "/api/v1/balance", "/api/v1/senders"):
        assert client.get(path, headers=bearer(token)).status_code == 200, path
    full = token_user(app, "sender", "lee")
    assert client.post("/api/v1/messages", json=body, headers=bearer(full)).status_code == 201


def test_read_only_tokens_from_the_cli_and_the_page(app):
    make_user(app, "kim", PASSWORD, "sender")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["token", "create", "--user", "kim", "--name", "nightly",
                               "--read-only", "--json"])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(args=["token", "list", "--user", "kim"])
    assert "read-only" in listed.output
    browser = sign_in(app, "sender", "lee")
    assert browser.post("/account/tokens", data={"name": "ro", "read_only": "y"}
                        ).status_code == 200
    assert browser.post("/account/tokens", data={"name": "rw"}).status_code == 200
    soup = page(browser.get("/account/tokens"))
    assert soup.select_one('tr[data-name="ro"] .read-only') is not None
    assert soup.select_one('tr[data-name="rw"] .read-only') is None
    with app.app_context():
        tokens = {t.name: t.read_only for t in api_tokens.list_tokens()}
    assert tokens == {"nightly": True, "ro": True, "rw": False}
    events = [e.detail for e in audit_events(app, "api_token_created")]
    assert all('"read_only"' in detail for detail in events)
