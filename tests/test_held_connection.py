"""One SQLite connection for a request's send-path blocks (``services.hot_writes.hold``):
fewer pool checkouts a send, every block's transaction still its own, none held through the
gateway call when the pool has no room to spare, and a block that fails leaves nothing
behind."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from simulator import DEMO_SENDERS
from smsform.extensions import db
from smsform.services import hot_writes
from tests.api_support import bearer, token_user
from tests.support import ScriptedBackend, build_app, send_calls

MESSAGES = "/api/v1/messages"


@pytest.fixture
def file_app(tmp_path):
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 10_000)
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'held.db'}")
    app.backend = backend
    return app


def _send(client, token: str, **headers: str):
    return client.post(MESSAGES, json={"from": DEMO_SENDERS[0], "to": ["010-2222-3333"],
                                       "text": "안녕하세요"}, headers=bearer(token, **headers))


def _checkouts(app):
    """A list that grows by one at each pool checkout of the app's engine."""
    seen: list[int] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine.pool, "checkout", lambda *_args: seen.append(1))
    return engine, seen


def test_an_api_send_checks_out_one_connection_while_the_pool_has_room(file_app):
    token = token_user(file_app, "sender", "alice")
    client = file_app.test_client()
    assert _send(client, token).status_code == 201  # the token's first use is noted
    engine, seen = _checkouts(file_app)
    answer = _send(client, token)
    assert answer.status_code == 201, answer.get_json()
    # the token's look-up, the opt-out look-up, the intent and the outcome share one
    assert len(seen) == 1
    assert engine.pool.checkedout() == 0


def _held_during_call(app, token: str) -> tuple[list[int], list[int]]:
    """The connections checked out while the gateway answers one send, and the checkouts
    of the send."""
    engine, seen = _checkouts(app)
    held: list[int] = []
    backend = app.backend
    real_send = backend.send

    def send(fields):
        held.append(engine.pool.checkedout())
        return real_send(fields)

    backend.send = send
    assert _send(app.test_client(), token).status_code == 201
    return held, seen


def test_the_connection_is_kept_through_the_call_while_the_pool_has_room(file_app):
    token = token_user(file_app, "sender", "alice")
    held, seen = _held_during_call(file_app, token)
    assert held == [1]  # idle (no transaction open), one of the pool's five
    assert len(seen) == 1
    with file_app.app_context():
        assert db.engine.pool.checkedout() == 0  # given back at the request's end


@pytest.mark.parametrize("pool_size", [1, 2])
def test_no_connection_another_request_needs_is_held_while_the_gateway_answers(
        tmp_path, pool_size):
    backend = ScriptedBackend()
    backend.add_account("demo", "demo-secure-key", list(DEMO_SENDERS), 10_000)
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'held.db'}",
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": pool_size})
    app.backend = backend
    token = token_user(app, "sender", "alice")
    with app.app_context():
        engine = db.engine
    others = [engine.connect() for _ in range(pool_size - 1)]  # the rest of the pool busy
    try:
        held, seen = _held_during_call(app, token)
    finally:
        for other in others:
            other.close()
    assert held == [pool_size - 1]  # the send's own given back before the call
    assert len(seen) == 2  # and a fresh one taken for the outcome
    assert engine.pool.checkedout() == 0


def test_a_replayed_key_fails_its_insert_on_the_held_connection_and_is_answered(file_app):
    """The second send with a key: its INSERT fails inside the held connection's block,
    which gives the connection back; the look-up of the first send then answers."""
    token = token_user(file_app, "sender", "alice")
    client = file_app.test_client()
    first = _send(client, token, **{"Idempotency-Key": "order-1"})
    again = _send(client, token, **{"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(send_calls(file_app.backend)) == 1
    with file_app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_blocks_inside_hold_share_a_connection_and_each_ends_its_transaction(file_app):
    with file_app.app_context():
        engine = db.engine
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE t (n INTEGER)"))
        hot_writes.hold()
        try:
            with hot_writes.connect(engine) as read:
                assert read.execute(text("SELECT count(*) FROM t")).scalar() == 0
                shared = read.connection.dbapi_connection
            assert not read.in_transaction()  # the read's transaction ended with its block
            with hot_writes.begin(engine) as write:
                assert write.connection.dbapi_connection is shared
                write.execute(text("INSERT INTO t VALUES (1)"))
                with hot_writes.connect(engine) as inner:  # a block inside: its own
                    assert inner.connection.dbapi_connection is not shared
                    assert inner.execute(text("SELECT count(*) FROM t")).scalar() == 0
            with engine.connect() as other:  # committed at the block's end
                assert other.execute(text("SELECT count(*) FROM t")).scalar() == 1
            assert engine.pool.checkedout() == 1  # kept between blocks
            with pytest.raises(RuntimeError), hot_writes.begin(engine) as failing:
                failing.execute(text("INSERT INTO t VALUES (2)"))
                raise RuntimeError("the block fails")
            assert engine.pool.checkedout() == 0  # a failed block gives it back
            with hot_writes.begin(engine) as after:  # and the next one takes a fresh one
                assert after.execute(text("SELECT count(*) FROM t")).scalar() == 1
            hot_writes.let_go_for_now()  # the pool has room to spare: kept
            assert engine.pool.checkedout() == 1
            with hot_writes.connect(engine) as kept:
                assert kept is after  # the same checkout, not a new one
                assert engine.pool.checkedout() == 1
        finally:
            hot_writes.let_go()
        assert engine.pool.checkedout() == 0


def test_outside_hold_each_block_has_a_connection_of_its_own(file_app):
    with file_app.app_context():
        engine = db.engine
        with hot_writes.connect(engine):
            assert engine.pool.checkedout() == 1
        assert engine.pool.checkedout() == 0
        with hot_writes.begin(engine) as write:
            write.execute(text("SELECT 1"))
        assert engine.pool.checkedout() == 0
