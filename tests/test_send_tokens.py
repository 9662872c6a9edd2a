"""One-time send tokens: one form sends once, whatever the browser does; each send is
logged before the gateway is called."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner

from smsform.extensions import db
from smsform.models import Send, User
from smsform.services import tokens
from tests.support import build_app, page, send_calls, sign_in, valid_send

JSON = {"Accept": "application/json"}


def form_token(client) -> str:
    """The send_token of a freshly opened form."""
    field = page(client.get("/smsform")).select_one("form#smsForm input[name=send_token]")
    assert field is not None and field["value"]
    return field["value"]


@pytest.fixture
def sender(app):
    """A client signed in as a sender."""
    return sign_in(app, "sender")


def test_each_form_gets_a_new_token_and_ignores_one_from_the_url(sender):
    first, second = form_token(sender), form_token(sender)
    assert first != second
    planted = page(sender.get("/smsform?send_token=planted")).select_one(
        "input[name=send_token]")["value"]
    assert planted != "planted"


def test_the_same_form_posted_twice_sends_once(sender, backend):
    token = form_token(sender)
    first = sender.post("/smssend", data=valid_send(send_token=token))
    again = sender.post("/smssend", data=valid_send(send_token=token))

    assert first.status_code == 200
    assert again.status_code == 409
    assert len(send_calls(backend)) == 1
    soup = page(again)
    assert "이미 보냈습니다" in soup.select_one("#repeated-message").get_text()
    previous = soup.select_one("#previous-result")
    assert previous["data-result"] == "success"
    assert "접수" in previous.get_text()


def test_json_callers_get_409_with_the_first_outcome(sender, backend):
    token = form_token(sender)
    first = sender.post("/smssend", data=valid_send(send_token=token), headers=JSON)
    again = sender.post("/smssend", data=valid_send(send_token=token), headers=JSON)

    assert again.status_code == 409
    body = again.get_json()
    assert (body["result"], body["code"]) == ("error", "duplicate")
    assert body["previous"]["result"] == "success"
    assert body["previous"]["remaining"] == first.get_json()["remaining"]
    assert len(send_calls(backend)) == 1


def test_invalid_input_does_not_use_up_the_token(sender, backend):
    token = form_token(sender)
    refused = sender.post("/smssend", data=valid_send(send_token=token, msg=""))
    assert refused.status_code == 400
    # The form comes back with the same, still unused token.
    assert page(refused).select_one("input[name=send_token]")["value"] == token
    fixed = sender.post("/smssend", data=valid_send(send_token=token))
    assert fixed.status_code == 200
    assert len(send_calls(backend)) == 1


@pytest.mark.parametrize("token", ["forged-token", ""])
def test_only_issued_tokens_send(sender, backend, token):
    response = sender.post("/smssend", data=valid_send(send_token=token), headers=JSON)
    if token:
        assert response.status_code == 400
        assert response.get_json()["code"] == "token_invalid"
        assert send_calls(backend) == []
    else:  # no token at all: callers such as an existing site's own form still work
        assert response.status_code == 200
        assert len(send_calls(backend)) == 1


def test_another_users_token_does_not_send(app, sender, backend):
    token = form_token(sender)
    other = sign_in(app, "admin", username="someone-else")
    response = other.post("/smssend", data=valid_send(send_token=token), headers=JSON)
    assert response.status_code == 400
    assert send_calls(backend) == []
    # ...and the owner can still use it.
    assert sender.post("/smssend", data=valid_send(send_token=token)).status_code == 200


def test_an_expired_token_does_not_send(app, sender, backend, monkeypatch):
    made_at = int(time.time() - tokens.LIFETIME.total_seconds() - 60)
    with app.app_context(), monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
        user_id = db.session.execute(db.select(User.id)).scalar_one()
        token = tokens.issue(user_id)  # signed a day and a minute ago
    response = sender.post("/smssend", data=valid_send(send_token=token), headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["code"] == "token_invalid"
    assert send_calls(backend) == []


def test_a_tampered_token_does_not_send(sender, backend):
    token = form_token(sender)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = sender.post("/smssend", data=valid_send(send_token=forged), headers=JSON)
    assert response.status_code == 400
    assert send_calls(backend) == []


def test_an_unknown_outcome_is_remembered_for_the_second_try(sender, backend):
    token = form_token(sender)
    backend.inject("lost")  # the gateway sends, but its answer is lost
    first = sender.post("/smssend", data=valid_send(send_token=token))
    assert first.status_code == 502
    again = sender.post("/smssend", data=valid_send(send_token=token))
    assert again.status_code == 409
    assert "발송 여부를 알 수 없음" in page(again).select_one("#previous-result").get_text()
    assert len(send_calls(backend)) == 1


def test_the_log_row_is_committed_before_the_gateway_is_called(tmp_path, backend):
    # A file database, so the spy's session has a connection of its own and sees
    # only what was committed.
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite'}")
    sender = sign_in(app, "sender")
    token = form_token(sender)
    seen: list[tuple[str, str | None]] = []
    real_send = backend.send

    def spy(fields):
        with app.app_context():  # a separate session sees only what was committed
            row = db.session.execute(db.select(Send).filter_by(send_key=token)).scalar_one()
            seen.append((row.result, row.text))
        return real_send(fields)

    backend.send = spy
    sender.post("/smssend", data=valid_send(send_token=token, msg="점검 안내"))
    assert seen == [("pending", "점검 안내")]
    with app.app_context():
        row = db.session.execute(db.select(Send).filter_by(send_key=token)).scalar_one()
        assert (row.result, row.code, row.remaining, row.source) == (
            "success", "success", 999, "form")
        assert row.finished_at is not None and row.duration_ms >= 0


def test_opening_the_form_writes_nothing(app, sender):
    for _ in range(3):
        form_token(sender)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Send.id))).scalar_one() == 0


def test_a_refused_send_gives_the_token_back_so_the_fixed_form_can_send(sender, backend):
    token = form_token(sender)
    refused = sender.post("/smssend", data=valid_send(send_token=token, msg="카지노 이벤트"))
    assert refused.status_code == 422  # 0044: spam words; nothing was sent
    fixed = sender.post("/smssend", data=valid_send(send_token=token, msg="정기 점검 안내"))
    assert fixed.status_code == 200
    assert [c.answer.split(",")[0] for c in send_calls(backend)] == ["0044", "success"]
    assert sender.post("/smssend", data=valid_send(send_token=token)).status_code == 409


def test_an_unknown_outcome_keeps_the_token_used(sender, backend):
    token = form_token(sender)
    backend.inject("http500")  # the send may have gone out
    assert sender.post("/smssend", data=valid_send(send_token=token)).status_code == 502
    assert sender.post("/smssend", data=valid_send(send_token=token)).status_code == 409
    assert len(send_calls(backend)) == 1


def test_a_send_that_never_reached_the_gateway_gives_the_token_back(
        unreachable_gateway_client):
    token = form_token(unreachable_gateway_client)
    for _ in range(2):  # not 409 the second time: nothing was sent the first time
        response = unreachable_gateway_client.post("/smssend",
                                                   data=valid_send(send_token=token))
        assert response.status_code == 503


def test_an_idempotency_key_makes_api_sends_happen_once(app, sender, backend):
    headers = {**JSON, "Idempotency-Key": "order-1234"}
    first = sender.post("/smssend", data=valid_send(), headers=headers)
    again = sender.post("/smssend", data=valid_send(), headers=headers)
    assert (first.status_code, again.status_code) == (200, 409)
    assert again.get_json()["previous"]["result"] == "success"
    # Keys belong to their user: another user's "order-1234" is a different send.
    other = sign_in(app, "sender", username="another-sender")
    assert other.post("/smssend", data=valid_send(), headers=headers).status_code == 200
    assert len(send_calls(backend)) == 2


@pytest.mark.parametrize("key", ["", "x" * 41, "bad\tkey"])
def test_an_unusable_idempotency_key_is_refused(sender, backend, key):
    response = sender.post("/smssend", data=valid_send(),
                           headers={**JSON, "Idempotency-Key": key})
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_idempotency_key"
    assert send_calls(backend) == []


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def other_spellings(token: str) -> list[str]:
    """The token with its last character swapped for each other one that decodes to the
    same bytes (Base64 ignores a final character's spare bits)."""
    last = token[-1]
    spare = {2: 0b1111, 3: 0b11}.get(len(token.split(".")[-1]) % 4, 0)
    return [token[:-1] + ch for ch in _B64
            if ch != last and _B64.index(ch) & ~spare == _B64.index(last) & ~spare]


def test_other_spellings_of_one_token_send_once(app, sender, backend):
    token = form_token(sender)
    spellings = other_spellings(token)
    assert spellings  # a 27-character signature has spare bits in its last character
    answers = [sender.post("/smssend", data=valid_send(send_token=t)).status_code
               for t in [token, *spellings]]
    assert answers == [200] + [409] * len(spellings)
    assert len(send_calls(backend)) == 1


def test_a_token_issued_here_is_known_without_its_signature_checked_again(app, monkeypatch):
    """The tokens this process issued are known by a look-up: the same key as the
    signature's check gives, and never for another user, another secret, or near the end
    of its life (then the signature is checked, as for any other token)."""
    with app.app_context():
        token = tokens.issue(7)
        checked = []
        real = tokens._serializer

        def counted():
            checked.append(1)
            return real()

        monkeypatch.setattr(tokens, "_serializer", counted)
        assert tokens.form_key(token, 7) == token and checked == []
        monkeypatch.setattr(tokens, "_ISSUED", {})  # another process: the signature's check
        assert tokens.form_key(token, 7) == token and checked == [1]
    with app.app_context():
        mine = tokens.issue(7)
        assert tokens.form_key(mine, 8) is None
        app.config["SECRET_KEY"] = "another-secret"
        assert tokens.form_key(mine, 7) is None
    made_at = int(time.time() - tokens.LIFETIME.total_seconds() + 0.5)
    with app.app_context(), monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
        old = tokens.issue(7)  # signed a day less half a second ago
    with app.app_context():
        checked.clear()
        tokens.form_key(old, 7)
        assert checked == [1]
