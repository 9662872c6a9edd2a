"""The API's answer to a send is made from what the send service wrote, not read back from
the log: these tests hold it to the row the log keeps, for every ending."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from tests.api_support import bearer, token_user
from tests.support import ScriptedBackend, build_app, send_calls

MESSAGES = "/api/v1/messages"


def _sent(client, token: str, **body) -> dict:
    answer = client.post(MESSAGES, json={"from": DEMO_SENDERS[0], "to": ["010-2222-3333"],
                                         "text": "안녕하세요", **body},
                         headers=bearer(token))
    return answer.status_code, answer.get_json(force=True)


@pytest.mark.parametrize(("scripted", "body", "status"), [
    (None, {}, 201),
    (None, {"test": True}, 201),
    (None, {"reserve_at": (datetime.now(KST) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0).isoformat()}, 201),
    ("-201", {}, 422),
    ("3205", {}, 422),
])
def test_the_answer_to_a_send_is_its_logged_row(scripted, body, status):
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    backend.answer = scripted
    app = build_app(backend)
    token = token_user(app, "sender", "alice")
    client = app.test_client()
    got_status, answered = _sent(client, token, **body)
    assert got_status == status, answered
    logged = client.get(f"{MESSAGES}/{answered['id']}", headers=bearer(token)).get_json()
    common = (answered.keys() & logged.keys()) - {"type", "title", "status", "detail"}
    assert {"id", "result", "code", "cost", "forecast", "remaining", "created_at"} <= common
    assert {k: answered[k] for k in common} == {k: logged[k] for k in common}


def test_the_answer_when_the_gateway_is_unreachable_is_its_logged_row(closed_port):
    app = build_app(None, CAFE24_SMS_BASE_URL=f"http://127.0.0.1:{closed_port}",
                    CAFE24_SMS_USER_ID="demo", CAFE24_SMS_SECURE_KEY="demo-secure-key",
                    CAFE24_SMS_ALLOW_HTTP="1")
    token = token_user(app, "sender", "alice")
    client = app.test_client()
    got_status, answered = _sent(client, token)
    assert got_status == 503, answered
    logged = client.get(f"{MESSAGES}/{answered['id']}", headers=bearer(token)).get_json()
    common = (answered.keys() & logged.keys()) - {"type", "title", "status", "detail"}
    assert {"id", "result", "cost", "remaining"} <= common
    assert {k: answered[k] for k in common} == {k: logged[k] for k in common}


def test_a_send_is_answered_without_reading_its_row_back():
    from sqlalchemy import event

    from smsform.extensions import db

    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    app = build_app(backend)
    token = token_user(app, "sender", "alice")
    client = app.test_client()
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        status, _answer = _sent(client, token)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert status == 201
    read_back = [s for s in statements
                 if s.startswith("select") and "from sends" in s and "sends.id = ?" in s]
    assert not read_back, statements


_ROW = dict(id=7, user_id=1, created_at=datetime(2026, 12, 7, 22, 5, 1, tzinfo=KST),
            result="success", code="success", kind="sms", recipients=2, cost=2, forecast=2,
            remaining=998, sender="01012345678", user="alice", source="api", test=False,
            marked=None, detail=None, advertising=False)


@pytest.mark.parametrize("changes", [
    {},
    {"result": "pending", "code": None, "cost": None, "remaining": None},
    {"kind": "lms", "advertising": True, "excluded": ("01022223333",), "opted_out": 1},
    {"created_at": datetime(2026, 12, 7, 13, 5, 1, 250000, tzinfo=KST)},
    {"created_at": datetime(2026, 12, 7, 13, 5, 1, tzinfo=UTC)},
    {"created_at": datetime(2026, 12, 7, 13, 5, 1)},
])
def test_a_sends_answer_written_from_its_row_is_the_models_dump(changes):
    from smsform.api_schemas import MessageSent
    from smsform.services.api_messages import MessageRow

    row = MessageRow(**{**_ROW, **changes})
    written = MessageSent.json_of(row)
    assert written == MessageSent.of(row).model_dump(mode="json")
    assert json.dumps(written, sort_keys=True) == json.dumps(
        MessageSent.of(row).model_dump(mode="json"), sort_keys=True)


# -- a member given twice ---------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "names"), [
    (b'{"from": "%s", "to": ["010-2222-3333"], "test": true, "text": "hi", '
     b'"to": ["010-4444-5555"], "test": false}', ["to", "test"]),
    (b'{"from": "%s", "to": [{"phone": "010-2222-3333", "name": "A", "name": "B"}], '
     b'"text": "{name}"}', ["name"]),
])
def test_a_member_given_twice_is_refused_and_nothing_is_sent(raw, names):
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    app = build_app(backend)
    token = token_user(app, "sender", "alice")
    body = raw.replace(b"%s", DEMO_SENDERS[0].encode())
    answer = app.test_client().post(MESSAGES, data=body, headers={
        **bearer(token), "Content-Type": "application/json", "Accept-Language": "ko"})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    problem = answer.get_json(force=True)
    assert problem["code"] == "invalid"
    assert sorted(problem["errors"]) == sorted(names)
    assert "한 번만" in problem["errors"][names[0]][0]

    assert send_calls(backend) == []


def test_the_same_members_once_each_still_send():
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 1000)
    app = build_app(backend)
    token = token_user(app, "sender", "alice")
    body = b'{"from": "%s", "to": [{"phone": "010-2222-3333", "name": "A"}, ' \
           b'{"phone": "010-4444-5555", "name": "B"}], "text": "{name}", "test": true}'
    answer = app.test_client().post(MESSAGES, data=body.replace(b"%s", DEMO_SENDERS[0].encode()),
                                    headers={**bearer(token), "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert len(send_calls(backend)) == 1


def _named_twice(raw: bytes) -> list[str]:
    """The members named twice in one object, read by parsing every object (the reference
    for the API's shortcut)."""
    found: list[str] = []

    def pairs(items):
        for i, (name, _value) in enumerate(items):
            if name not in found and any(other == name for other, _v in items[:i]):
                found.append(name)  # at its second mention
        return dict(items)

    json.loads(raw, object_pairs_hook=pairs)
    return found


@pytest.mark.parametrize("raw", [
    b'{"a": "b", ":": 1, ":": 2}',  # a name that starts with the colon after another string
    b'{"a": "x", "b": {"a": 1}}',  # the same name in two objects: not a repeat
    b'{"t\\u006f": ["A"], "to": ["B"]}',  # one name written two ways
    b'{"a": "\\"", "a": 1}',  # an escaped quote
    '{"to": ["A"], "to": ["B"]}'.encode("utf-16"),  # UTF-16: json reads it too
    b'{"": 1, "": 2}',
    b'{"x": [{"k": 1, "k": 2}], "y": "k"}',
    b'{"a" :1,"a"\n:2}',
    b'{"\xed\x95\x9c": 1, "\xed\x95\x9c": 2}',  # Korean, as UTF-8
])
def test_the_repeated_member_check_finds_what_parsing_every_object_finds(raw):
    from smsform.views.api import repeated_members

    assert repeated_members(raw) == _named_twice(raw)


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab:"\\ {}[],\n한'),
    lambda inner: st.lists(inner, max_size=3) | st.lists(
        st.tuples(st.text(alphabet='ab:" \\한', max_size=3), inner), max_size=4),
    max_leaves=12))
def test_the_repeated_member_check_agrees_with_parsing_on_any_json(value):
    from smsform.views.api import repeated_members

    def written(item) -> str:  # lists of pairs become objects, names possibly repeated
        if isinstance(item, list) and item and all(isinstance(p, tuple) for p in item):
            return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {written(v)}"
                                   for k, v in item) + "}"
        if isinstance(item, list):
            return "[" + ", ".join(written(v) for v in item) + "]"
        return json.dumps(item, ensure_ascii=False)

    raw = written(value).encode()
    assert repeated_members(raw) == _named_twice(raw)
