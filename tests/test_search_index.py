"""The send log's word indexes on SQLite, filled in batches (services.search_index): a send
is found by a search the moment it is logged, the rows waiting stay few, and a purge or a
delete never leaves the indexes out of step with the log (ids SQLite hands out again
included)."""

from __future__ import annotations

import flask_migrate
from sqlalchemy import delete, text
from sqlalchemy.exc import OperationalError

from smsform import database
from smsform.extensions import db
from smsform.models import Send, SendRecipient, utcnow
from smsform.services import search_index
from tests.api_support import bearer, token_user
from tests.support import build_app, sign_in, valid_send
from tests.test_sends import JSON, add_send, ids, kst, purge


def marks(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(db.session.execute(text(
            "SELECT texts_upto, numbers_upto FROM sends_search_state")).one())


def indexed(app, table: str) -> list[int]:
    """The rowids an index holds (through a vocabulary of its entries: a contentless index
    cannot be read row by row)."""
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_entries "
            f"USING fts5vocab(main, {table}, instance)")
        return sorted(connection.exec_driver_sql(
            f"SELECT DISTINCT doc FROM temp.{table}_entries").scalars())  # noqa: S608 - two names


def consistent(app) -> None:
    """FTS5's own check of both indexes (a wrong 'delete' of a contentless index fails it)."""
    with app.app_context(), db.engine.begin() as connection:
        for name in ("sends_search", "sends_search_numbers"):
            connection.exec_driver_sql(
                f"INSERT INTO {name} ({name}, rank) VALUES ('integrity-check', 0)")  # noqa: S608


def test_a_send_just_made_is_found_by_its_words_and_a_part_of_its_number(app, backend):
    client = sign_in(app, "sender")
    assert client.post("/smssend", data=valid_send(
        msg="방금 보낸 재입고 알림", rphone="010-2468-1357")).status_code == 200
    assert marks(app) == (0, 0)  # logged, not indexed yet: no FTS write in the send
    viewer = sign_in(app, "admin", "reader")
    [found] = ids(viewer.get("/sends?q=재입고", headers=JSON))
    assert marks(app) == (found, 1)  # the search indexed what waited first
    assert ids(viewer.get("/sends?q=2468-13", headers=JSON)) == [found]
    assert ids(viewer.get("/sends?q=입고", headers=JSON)) == [found]  # a two-letter word
    consistent(app)


def test_the_api_and_the_export_search_what_was_just_logged(app):
    sent = add_send(app, text="내보내기 전용 문구")
    token = token_user(app, "admin")
    answer = app.test_client().get("/api/v1/messages?q=전용", headers=bearer(token))
    assert [m["id"] for m in answer.get_json()["items"]] == [sent]
    add_send(app, text="두 번째 전용 문구", phones=("010-9999-1212",))
    export = sign_in(app, "admin").get("/sends?q=9999-12&format=csv")
    assert "두 번째 전용 문구" in export.get_data(as_text=True)


def test_every_index_every_th_send_indexes_the_rows_waiting(app, monkeypatch):
    monkeypatch.setattr(search_index, "INDEX_EVERY", 3)
    client = sign_in(app, "sender")
    for n in range(5):
        assert client.post("/smssend", data=valid_send(msg=f"안내 {n}")).status_code == 200
    # send 3 indexed sends 1-3 (and their recipients) after its outcome; 4 and 5 wait.
    assert marks(app) == (3, 3)
    assert indexed(app, "sends_search") == [1, 2, 3]
    assert indexed(app, "sends_search_numbers") == [1, 2, 3]
    with app.app_context():
        assert search_index.catch_up() == 4  # two texts and two numbers
        assert search_index.catch_up() == 0  # nothing waits: no write at all
    assert marks(app) == (5, 5)


def test_a_failed_catch_up_after_a_send_is_only_logged(app, monkeypatch, caplog):
    monkeypatch.setattr(search_index, "INDEX_EVERY", 1)

    def busy() -> int:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(search_index, "catch_up", busy)
    client = sign_in(app, "sender")
    answer = client.post("/smssend", data=valid_send(), headers=JSON)
    assert answer.status_code == 200 and answer.get_json()["result"] == "success"
    assert "indexing the texts of the sends up to 1 failed: database is locked" in caplog.text


def test_a_purge_of_sends_never_indexed_keeps_the_indexes_right(app):
    old = add_send(app, text="색인 전에 지워질 문구", phones=("010-1111-2222",),
                   created_at=kst(2026, 1, 5, 9, 0))
    kept = add_send(app, text="남는 문구", phones=("010-3333-4444",))
    assert marks(app) == (0, 0)
    assert purge(app, "--before", "2026-03-01").exit_code == 0
    consistent(app)
    viewer = sign_in(app, "admin")
    assert ids(viewer.get("/sends?q=문구", headers=JSON)) == [kept]
    assert ids(viewer.get("/sends?q=1111-2222", headers=JSON)) == []
    assert old not in indexed(app, "sends_search")
    consistent(app)


def test_ids_handed_out_again_after_the_newest_rows_go_are_indexed(app):
    first = add_send(app, text="처음 문구", phones=("010-5555-6666",))
    with app.app_context():
        assert search_index.catch_up() == 2
        db.session.execute(delete(SendRecipient))
        db.session.execute(delete(Send))
        db.session.commit()
    assert marks(app) == (0, 0)  # the delete lowered the marks to the newest row left
    assert indexed(app, "sends_search") == indexed(app, "sends_search_numbers") == []
    consistent(app)
    again = add_send(app, text="다시 쓴 문구", phones=("010-7777-8888",))
    assert again == first  # SQLite reused the id (and the recipient's rowid)
    viewer = sign_in(app, "admin")
    assert ids(viewer.get("/sends?q=다시", headers=JSON)) == [again]
    assert ids(viewer.get("/sends?q=7777", headers=JSON)) == [again]
    assert ids(viewer.get("/sends?q=처음", headers=JSON)) == []
    consistent(app)


def test_the_migration_marks_what_the_old_triggers_indexed(tmp_path, backend):
    app = build_app(backend, tables=None,
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        database.upgrade("0008_recipient_search")
        with db.engine.begin() as connection:  # a send as 0008 wrote it (the models are newer)
            old = connection.execute(text(
                "INSERT INTO sends (created_at, actor, source, sender, kind, text, recipients, "
                "recipient_count, forecast, test, result, code) VALUES (:at, 'someone', "
                "'form', '010-1234-5678', 'S', '이전 버전에서 보낸 문구', '[]', 1, 1, 0, "
                "'success', 'success') RETURNING id"), {"at": utcnow()}).scalar_one()
            connection.execute(text(
                "INSERT INTO send_recipients (send_id, position, phone) "
                "VALUES (:id, 0, '01043218765')"), {"id": old})
        database.upgrade()
    assert marks(app) == (old, 1)  # everything so far was indexed by the old triggers
    new = add_send(app, text="새 버전에서 보낸 문구", phones=("010-4321-0000",))
    viewer = sign_in(app, "admin")
    assert ids(viewer.get("/sends?q=보낸", headers=JSON)) == [new, old]
    assert ids(viewer.get("/sends?q=4321", headers=JSON)) == [new, old]
    consistent(app)
    with app.app_context():  # and back: what waits is indexed, the old triggers return
        add_send(app, text="되돌리기 전 문구")
        flask_migrate.downgrade(directory=str(database.MIGRATIONS),
                                revision="0008_recipient_search")
        names = set(db.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    assert {"sends_search_insert", "sends_search_numbers_insert"} <= names
    assert len(indexed(app, "sends_search")) == 3
    consistent(app)

