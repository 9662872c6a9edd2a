"""The send path's hot statements on the driver's cursor: the writes store what a Core execute
stores, the reads read what a Core execute reads, and both fail as Core fails (SQLAlchemy's
own errors, parameters hidden)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, column, insert, select, table, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from smsform.extensions import db
from smsform.models import Send
from smsform.services.hot_writes import HotRead, HotWrite
from smsform.states import Result

_sends = Send.__table__
WHEN = datetime(2026, 12, 7, 9, 30, 0)  # no microseconds: Core still writes .000000


def _values(**overrides) -> dict:
    return {"created_at": WHEN, "user_id": None, "actor": "kim", "source": "api",
            "client_address": None, "send_key": None, "request_hash": None,
            "sender": "01012345678", "kind": "S", "subject": None, "text": "안녕 '; --",
            "recipients": "[]", "recipient_count": 1, "forecast": 1, "cost": None,
            "test": True, "reserve_at": WHEN, "repeat_num": None, "repeat_minutes": None,
            "result": Result.PENDING, **overrides}


def _stored(connection, send_id: int) -> tuple:
    """The row as SQLite keeps it (text, not as SQLAlchemy reads it back)."""
    return tuple(connection.execute(text(
        "SELECT created_at, test, reserve_at, text, result, cost FROM sends WHERE id = :id"),
        {"id": send_id}).one())


def test_a_hot_insert_stores_what_core_stores(app):
    with app.app_context(), db.engine.begin() as connection:
        core_id = connection.execute(insert(_sends), _values()).inserted_primary_key[0]
        hot_id = HotWrite(insert(_sends), _sends).execute(connection, _values())
        assert hot_id == core_id + 1
        assert _stored(connection, hot_id) == _stored(connection, core_id)
        assert _stored(connection, hot_id)[0] == "2026-12-07 09:30:00.000000"


def test_a_hot_update_sets_what_core_sets(app):
    write = HotWrite(update(_sends).where(_sends.c.id == db.bindparam("w_id")), _sends)
    with app.app_context(), db.engine.begin() as connection:
        first = connection.execute(insert(_sends), _values()).inserted_primary_key[0]
        second = connection.execute(insert(_sends), _values()).inserted_primary_key[0]
        outcome = {"result": Result.SUCCESS, "cost": 1, "finished_at": WHEN}
        connection.execute(update(_sends).where(_sends.c.id == first), outcome)
        write.execute(connection, {**outcome, "w_id": second})
        assert _stored(connection, second) == _stored(connection, first)
        row = connection.execute(select(_sends.c.finished_at).where(_sends.c.id == second)).one()
        assert row.finished_at == WHEN


def test_a_taken_send_key_is_sqlalchemys_integrity_error_with_its_values_hidden(app):
    write = HotWrite(insert(_sends), _sends)
    with app.app_context(), db.engine.connect() as connection:
        with connection.begin():
            write.execute(connection, _values(send_key="token-1"))
        with pytest.raises(IntegrityError) as raised, connection.begin():
            write.execute(connection, _values(send_key="token-1", text="비밀 본문"))
    assert "비밀 본문" not in str(raised.value)
    assert "UNIQUE" in str(raised.value.orig)


def test_a_failed_transaction_leaves_no_row(app):
    write = HotWrite(insert(_sends), _sends)
    with app.app_context():
        with pytest.raises(RuntimeError), db.engine.begin() as connection:
            write.execute(connection, _values())
            raise RuntimeError("the rest of the transaction failed")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM sends")).scalar() == 0


def test_a_column_left_to_its_default_goes_through_core(app):
    values = _values()
    del values["test"]  # a column with a default: Core computes it
    with app.app_context(), db.engine.begin() as connection:
        send_id = HotWrite(insert(_sends), _sends).execute(connection, values)
        assert connection.execute(select(_sends.c.test).where(_sends.c.id == send_id)
                                  ).scalar() is False


def test_a_hot_read_reads_what_core_reads(app):
    with app.app_context(), db.engine.begin() as connection:
        HotWrite(insert(_sends), _sends).execute(connection, _values())
        HotWrite(insert(_sends), _sends).execute(connection, _values(test=False, text=None))
        query = (select(_sends.c.id, _sends.c.created_at, _sends.c.test, _sends.c.text,
                        _sends.c.result, _sends.c.cost.label("charged"))
                 .where(_sends.c.actor == bindparam("actor")).order_by(_sends.c.id.desc())
                 .limit(1))  # a LIMIT is the statement's own value
        core = connection.execute(query, {"actor": "kim"}).first()
        hot = HotRead(query).first(connection, {"actor": "kim"})
        assert tuple(hot) == tuple(core) and hot._fields == tuple(core._fields)
        assert (hot.created_at, hot.test, hot.text, hot.charged) == (WHEN, False, None, None)
        assert HotRead(query).first(connection, {"actor": "nobody"}) is None


def test_a_hot_read_fails_as_core_fails(app):
    missing = table("no_such_table", column("n"), column("day"))
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(OperationalError) as failed:
            HotRead(select(missing.c.n).where(missing.c.day == bindparam("day"))).first(
                connection, {"day": "2026-12-07"})
    assert "no such table" in str(failed.value)
    assert "2026-12-07" not in str(failed.value)  # the values stay hidden


def test_a_column_left_out_with_a_constant_default_is_filled_on_the_cursor(app):
    """A recipient's row names four columns; ``delivery_ambiguous`` has a constant default
    (False), which the hot write fills itself instead of handing every row to Core (and
    compiling the statement again each time)."""
    from smsform.models import SendRecipient

    recipients = SendRecipient.__table__
    write = HotWrite(insert(recipients), recipients)
    with app.app_context(), db.engine.begin() as connection:
        send_id = connection.execute(insert(_sends), _values()).inserted_primary_key[0]
        write.execute_many(connection, [
            {"send_id": send_id, "position": i, "phone": "01022223333", "name": None}
            for i in range(2)])
        prepared = write._prepared[("sqlite", ("name", "phone", "position", "send_id"))]
        assert prepared is not None and prepared[3] == {"delivery_ambiguous": False}
        stored = connection.execute(text(
            "SELECT position, delivery_ambiguous FROM send_recipients WHERE send_id = :id "
            "ORDER BY position"), {"id": send_id}).all()
        assert [tuple(row) for row in stored] == [(0, 0), (1, 0)]


def test_a_statement_for_core_is_compiled_once(app, monkeypatch):
    """A write that needs a computed default goes to Core, and is not compiled again."""
    write = HotWrite(insert(_sends), _sends)
    values = _values()
    del values["created_at"]  # its default is computed (utcnow)
    compiled = []
    original = type(write.statement).compile

    def counting(self, *args, **kwargs):
        compiled.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(write.statement), "compile", counting)
    with app.app_context(), db.engine.begin() as connection:
        for _ in range(3):
            assert write.execute(connection, values)
    assert len(compiled) == 1


def test_a_sqlite_files_pool_hands_back_the_connection_returned_last(tmp_path, backend):
    """SQLite drops a connection's page cache once another has written: taken in turn, each
    checkout would read the pages again from the file; the one returned last has them."""
    from tests.support import build_app

    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'pool.db'}")
    with app.app_context():
        engine = db.engine
        with engine.connect() as first, engine.connect() as second:
            kept = first.connection.dbapi_connection  # returned last: after ``second``
            assert second.connection.dbapi_connection is not kept
        for _ in range(3):
            with engine.begin() as connection:
                assert connection.connection.dbapi_connection is kept
                connection.execute(text("SELECT 1"))
    memory = build_app(backend, SQLALCHEMY_DATABASE_URI="sqlite://")
    with memory.app_context():  # one static connection: nothing to choose, nothing refused
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
