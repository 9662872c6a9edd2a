"""`flask --app app send|balance|senders`: each exit status, --json with the API's members,
the text from standard input, and the log's source ``cli``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.cli_api import EXIT_INVALID, EXIT_NOT_SENT, EXIT_OK, EXIT_REFUSED, EXIT_UNKNOWN
from tests.api_support import PASSWORD, bearer, sends, token_user
from tests.support import UNREACHABLE_KEY, build_app, make_user, send_calls

SENDER = DEMO_SENDERS[0]


@pytest.fixture
def alice(app) -> str:
    """A sender named alice."""
    make_user(app, "alice", PASSWORD, "sender")
    return "alice"


def send(runner, *extra: str, user: str = "alice", to: str = "010-2222-3333",
         text: str = "안녕하세요", input: str | None = None, sender: str = SENDER):
    args = ["send", "--user", user, "--from", sender, "--to", to, "--text", text, *extra]
    return runner.invoke(args=args, input=input)


@pytest.mark.parametrize(("extra", "result"), [
    ((), "success"), (("--test",), "test"),
    (("--reserve-at", (datetime.now(KST) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")),
     "reserved"),
])
def test_accepted_sends_exit_0(app, runner, alice, extra, result):
    answer = send(runner, *extra, "--json")
    assert answer.exit_code == EXIT_OK, answer.output
    assert json.loads(answer.output)["result"] == result


def test_a_refusal_exits_1_with_the_gateway_code(app, runner, alice):
    answer = send(runner, sender="010-9999-9999")
    assert answer.exit_code == EXIT_REFUSED
    assert "code=-114" in answer.output and "result=refused" in answer.output


@pytest.mark.parametrize("extra", [
    ("--to", "not-a-number"), ("--reserve-at", "tomorrow"), ("--type", "sms", "--text",
                                                             "가" * 46),
    ("--text", ""), ("--subject", "x" * 60, "--type", "lms"),
])
def test_invalid_input_exits_2_and_sends_nothing(app, runner, backend, alice, extra):
    answer = send(runner, *extra)
    assert answer.exit_code == EXIT_INVALID, answer.output
    assert send_calls(backend) == [] and sends(app) == []


def test_missing_options_exit_2(app, runner, alice):
    assert runner.invoke(args=["send", "--user", "alice", "--text", "x"]).exit_code == 2


@pytest.mark.parametrize(("user", "role"), [("nobody", None), ("vera", "viewer")])
def test_a_user_who_may_not_send_exits_2(app, runner, backend, user, role):
    if role:
        make_user(app, user, PASSWORD, role)
    answer = send(runner, "--json", user=user)
    assert answer.exit_code == EXIT_INVALID
    assert json.loads(answer.output)["code"] in ("unknown_user", "forbidden")
    assert send_calls(backend) == []


def test_an_unknown_outcome_exits_3(scripted_backend):
    app = build_app(scripted_backend)
    make_user(app, "alice", PASSWORD, "sender")
    scripted_backend.answer = "<html>maintenance</html>"
    answer = send(app.test_cli_runner(), "--json")
    assert answer.exit_code == EXIT_UNKNOWN
    body = json.loads(answer.output)
    assert (body["result"], body["id"]) == ("unknown", sends(app)[0].id)


def test_a_gateway_never_reached_exits_4(closed_port):
    app = build_app(None, CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{closed_port}",
                    CAFE24_SMS_USER_ID="shop", CAFE24_SMS_SECURE_KEY=UNREACHABLE_KEY,
                    CAFE24_SMS_CONNECT_TIMEOUT="1")
    make_user(app, "alice", PASSWORD, "sender")
    runner = app.test_cli_runner()
    answer = send(runner, "--json")
    assert answer.exit_code == EXIT_NOT_SENT
    assert json.loads(answer.output)["result"] == "not_sent"
    assert UNREACHABLE_KEY not in answer.output
    assert runner.invoke(args=["balance"]).exit_code == EXIT_NOT_SENT
    assert runner.invoke(args=["senders"]).exit_code == EXIT_NOT_SENT


def test_json_prints_the_apis_members(app, client, runner, alice):
    cli = json.loads(send(runner, "--json").output)
    token = token_user(app, "sender", "bob")
    api = client.post("/api/v1/messages", headers=bearer(token), json={
        "from": SENDER, "to": ["010-2222-3333"], "text": "안녕하세요"}).get_json()
    assert set(cli) == set(api)
    assert {k: cli[k] for k in ("result", "code", "kind", "recipients", "cost")} == {
        k: api[k] for k in ("result", "code", "kind", "recipients", "cost")}


def test_the_text_may_come_from_standard_input(app, runner, alice):
    answer = send(runner, text="-", input="여러 줄\n메시지\n")
    assert answer.exit_code == EXIT_OK
    assert sends(app)[0].text == "여러 줄\n메시지"


def test_text_that_is_not_utf8_exits_2_and_sends_nothing(app, runner, backend, alice):
    answer = runner.invoke(args=["send", "--user", "alice", "--from", SENDER, "--to",
                                 "010-2222-3333", "--text", "-", "--json"], input=b"\xff\xfe")
    assert answer.exit_code == 2
    assert list(json.loads(answer.output)["errors"]) == ["text"]
    # An option typed in another encoding reaches Python as surrogate escapes.
    garbled = send(runner, user="al\udcff", text="안\udce4")
    assert garbled.exit_code == 2
    assert "user:" in garbled.output and "text:" in garbled.output
    assert "UTF-8" in garbled.output
    assert sends(app) == [] and send_calls(backend) == []


def test_the_log_says_cli_and_the_user(app, runner, alice):
    send(runner, "--to", "010-4444-5555")
    [row] = sends(app)
    assert (row.source, row.actor, row.recipient_count) == ("cli", "alice", 2)


def test_an_idempotency_key_makes_a_rerun_send_nothing(app, runner, backend, alice):
    first = send(runner, "--idempotency-key", "nightly-2026-03-01", "--json")
    again = send(runner, "--idempotency-key", "nightly-2026-03-01", "--json")
    assert (first.exit_code, again.exit_code) == (EXIT_OK, EXIT_OK)
    assert json.loads(again.output) == {**json.loads(first.output), "replayed": True}
    assert len(send_calls(backend)) == 1
    other = send(runner, "--idempotency-key", "nightly-2026-03-01", text="다른 글")
    assert other.exit_code == EXIT_INVALID and len(send_calls(backend)) == 1


def test_balance_and_senders(runner):
    assert runner.invoke(args=["balance"]).output == "remaining=1000 sms=1000 lms=333\n"
    assert json.loads(runner.invoke(args=["balance", "--json"]).output) == {
        "remaining": 1000, "sms": 1000, "lms": 333}
    assert runner.invoke(args=["senders"]).output.splitlines() == list(DEMO_SENDERS)
    assert json.loads(runner.invoke(args=["senders", "--json"]).output) == {
        "senders": list(DEMO_SENDERS)}
