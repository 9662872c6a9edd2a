"""The send log's search: what a query may cost (a cap on the forms its words expand to, a
bound on each read's time) and what it finds. The log as test_sends.py sets it up."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from smsform.extensions import db
from smsform.services import sendlog_query
from smsform.services.query_args import FilterError
from tests.api_support import bearer, token_user
from tests.support import build_app, field_errors, page, sign_in
from tests.test_sends import JSON, add_send, ids


@pytest.fixture
def admin(app):
    return sign_in(app, "admin")


# -- what a search may cost -----------------------------------------------------------------

#: Two-letter words and, for each, the letters that follow it somewhere in the log.
WORDS = ("가나", "다라", "마바")
FORMS = "갑을병정무"


@pytest.fixture
def many_forms(app, monkeypatch):
    """Each of WORDS in five forms (가나갑, 가나을, …), and a cap of 12 forms a search."""
    monkeypatch.setattr(sendlog_query, "MAX_TERMS", 12)
    return [add_send(app, text=" ".join(word + form for form in FORMS)) for word in WORDS]


def test_words_that_expand_past_the_cap_together_are_refused(app, admin, many_forms):
    for word, send_id in zip(WORDS, many_forms, strict=True):  # each alone: 5 forms
        assert ids(admin.get("/sends", query_string={"q": word}, headers=JSON)) == [send_id]
    assert ids(admin.get("/sends", query_string={"q": "가나 다라"}, headers=JSON)) == []
    answer = admin.get("/sends", query_string={"q": " ".join(WORDS)}, headers=JSON)
    assert answer.status_code == 400
    (sentence,) = answer.get_json()["errors"]["q"]
    assert "너무 넓" in sentence and "12" in sentence
    soup = page(admin.get("/sends", query_string={"q": " ".join(WORDS)}))
    assert field_errors(soup, "q") == [sentence]
    assert admin.get("/sends", query_string={"q": " ".join(WORDS),
                                             "format": "csv"}).status_code == 400


def test_the_api_list_refuses_them_too(app, many_forms):
    token = token_user(app, "admin")
    answer = app.test_client().get("/api/v1/messages", query_string={"q": " ".join(WORDS)},
                                   headers=bearer(token))
    assert answer.status_code == 400
    assert "너무 넓" in answer.get_json()["errors"]["q"][0]


@pytest.fixture
def no_time(monkeypatch):
    """No time at all for a read of the log: every statement is stopped at once."""
    monkeypatch.setattr(sendlog_query, "SEARCH_SECONDS", 0.0)
    monkeypatch.setattr(sendlog_query, "PROGRESS_STEPS", 1)


@pytest.mark.parametrize("query", [{"q": "안녕"}, {"q": "안녕하세요"}, {}])
def test_a_search_past_its_time_is_stopped_and_says_so(app, admin, no_time, query):
    add_send(app)
    answer = admin.get("/sends", query_string=query, headers=JSON)
    assert answer.status_code == 400
    field = "q" if query else "page"
    (sentence,) = answer.get_json()["errors"][field]
    assert "오래 걸려" in sentence
    soup = page(admin.get("/sends", query_string=query))
    shown = field_errors(soup, "q") if query else [p.get_text() for p in
                                                    soup.select("#page-error")]
    assert shown == [sentence]
    assert admin.get("/sends", query_string={**query, "format": "csv"}).status_code == 400


def test_the_api_list_is_bounded_too(app, no_time):
    add_send(app, user=None)
    token = token_user(app, "admin")
    answer = app.test_client().get("/api/v1/messages", query_string={"q": "안녕"},
                                   headers=bearer(token))
    assert answer.status_code == 400
    assert "오래 걸려" in answer.get_json()["errors"]["q"][0]


def test_the_bound_is_lifted_after_the_search(app, admin, monkeypatch):
    send_id = add_send(app)
    monkeypatch.setattr(sendlog_query, "SEARCH_SECONDS", 0.0)
    monkeypatch.setattr(sendlog_query, "PROGRESS_STEPS", 1)
    assert admin.get("/sends?q=안녕", headers=JSON).status_code == 400
    monkeypatch.setattr(sendlog_query, "SEARCH_SECONDS", 3.0)
    assert ids(admin.get("/sends?q=안녕", headers=JSON)) == [send_id]
    with app.app_context():  # the pooled connection runs long statements again
        db.session.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                                "FROM n WHERE i < 100000) SELECT count(*) FROM n")).scalar()


def _slow_statement(dialect: str) -> str:
    if dialect == "postgresql":
        return "SELECT pg_sleep(2)"
    return ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 100000000) SELECT count(*) FROM n")


def test_a_long_statement_is_stopped_on_either_engine(db_url, backend, monkeypatch):
    """The bound itself, on a statement that takes seconds: stopped within a tenth of one."""
    monkeypatch.setattr(sendlog_query, "SEARCH_SECONDS", 0.1)
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        with db.engine.connect() as connection:
            with pytest.raises(FilterError) as caught:
                with sendlog_query.bounded(connection, sendlog_query.LogFilter(q="x")):
                    connection.exec_driver_sql(_slow_statement(connection.dialect.name))
            assert [p.code for p in caught.value.problems] == ["search_too_slow"]
            connection.rollback()
            with sendlog_query.bounded(connection, sendlog_query.LogFilter()):
                assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        db.engine.dispose()


# -- what a search finds ---------------------------------------------------------------------


@pytest.fixture
def log(app):
    """Sends to several numbers and names, one with the digits in its text."""
    return {
        "hong": add_send(app, phones=("010-2222-3333",), names=("홍길동",),
                         text="{name}님 안녕하세요"),
        "kim": add_send(app, phones=("010-4444-5678", "02-123-4567"), names=("김철수", "김영희"),
                        text="{name}님 주문이 접수되었습니다"),
        "plain": add_send(app, phones=("010-9999-1234",), text="송장번호 5678123 안내"),
    }


def found(client, q: str, **query) -> list[int]:
    return ids(client.get("/sends", query_string={"q": q, **query}, headers=JSON))


@pytest.mark.parametrize(("q", "who"), [
    ("5678", ["plain", "kim"]),  # the last four digits (and the text's 5678123)
    ("4444-56", ["kim"]), ("4444 5678", ["kim"]), ("0104444", ["kim"]),  # a part, as typed
    ("1234567", ["kim"]),  # 02-123-4567's digits
    ("010-4444-5678", ["kim"]),  # a whole number, as before
    ("3333", ["hong"]), ("9999", ["plain"]), ("8888", []),
])
def test_a_part_of_a_number_finds_its_sends(admin, log, q, who):
    assert found(admin, q) == [log[w] for w in who]


@pytest.mark.parametrize(("q", "who"), [
    ("홍길동", ["hong"]), ("김철수", ["kim"]), ("김영", ["kim"]), ("김", []),  # too short
    ("김철", ["kim"]), ("이순신", []), ("안녕하세요", ["hong"]),
])
def test_a_recipients_name_finds_its_sends(admin, log, q, who):
    answer = admin.get("/sends", query_string={"q": q}, headers=JSON)
    if q == "김":
        assert answer.status_code == 400
        return
    assert ids(answer) == [log[w] for w in who]
    assert answer.get_json()["total"] == len(who)


def test_names_and_numbers_are_found_only_in_sends_seen_in_full(app, log):
    sender = sign_in(app, "sender", "kim-user")
    mine = add_send(app, user="kim-user", phones=("010-4444-5678",), names=("김철수",),
                    text="{name}님 배송 안내")
    assert found(sender, "김철수") == [mine]  # not the others' (they show 김*수)
    assert found(sender, "5678") == [mine, log["plain"]]  # the text's 5678123 stays
    viewer = sign_in(app, "viewer")
    assert found(viewer, "김철수") == []  # words of the text only
    assert found(viewer, "안녕하세요") == [log["hong"]]


def test_user_by_a_part_of_the_name(app, admin):
    for name in ("kim-a", "kim-b", "lee"):
        sign_in(app, "sender", name)
    a, b, c = (add_send(app, user=name) for name in ("kim-a", "kim-b", "lee"))
    assert ids(admin.get("/sends?user=kim", headers=JSON)) == [b, a]
    assert ids(admin.get("/sends?user=KIM-B", headers=JSON)) == [b]
    assert ids(admin.get("/sends?user=lee", headers=JSON)) == [c]
    answer = admin.get("/sends?user=park", headers=JSON)
    assert answer.status_code == 400 and "park" in answer.get_json()["errors"]["user"][0]
    assert admin.get("/sends?user=kim", headers=JSON).get_json()["total"] == 2


def test_a_filter_that_matches_nothing_says_so_and_offers_no_csv(app, admin):
    soup = page(admin.get("/sends"))
    assert "아직" in soup.select_one("#no-match").get_text()
    add_send(app)
    soup = page(admin.get("/sends", query_string={"q": "없는말"}))
    assert "조건" in soup.select_one("#no-match").get_text()
    assert soup.select_one("#sends") is None and soup.select_one("#csv-link") is None
    soup = page(admin.get("/sends"))
    assert soup.select_one("#no-match") is None and soup.select_one("#csv-link") is not None


def test_the_search_on_either_engine(db_url, backend):
    """Parts of numbers and names on SQLite's indexes and PostgreSQL's, from the migrations
    (the names and numbers of sends logged before them are found too)."""
    app = build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url)
    admin = sign_in(app, "admin")
    hong = add_send(app, phones=("010-2222-3333",), names=("홍길동",), text="{name}님")
    other = add_send(app, phones=("010-4444-5678",), text="안내")
    assert found(admin, "3333") == [hong]
    assert found(admin, "4444-56") == [other]
    assert found(admin, "홍길") == [hong]
    assert found(admin, "안내") == [other]
    with app.app_context():
        db.engine.dispose()


def test_the_migration_indexes_names_and_numbers_logged_before_it(tmp_path, backend):
    from smsform import database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = build_app(backend, tables=None, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        database.upgrade("0007_token_read_only")
    admin = sign_in(app, "admin")
    with app.app_context():  # a send as 0007 logged it: no name column, no number index
        db.session.execute(text(
            "INSERT INTO sends (id, created_at, actor, source, sender, kind, text, recipients, "
            "recipient_count, forecast, cost, test, result) VALUES (7, CURRENT_TIMESTAMP, "
            "'x', 'form', '010-1234-5678', 'S', '{name}님', "
            "'[[\"010-2222-3333\", \"홍길동\"]]', 1, 1, 1, 0, 'success')"))
        db.session.execute(text("INSERT INTO send_recipients (send_id, position, phone) "
                                "VALUES (7, 0, '01022223333')"))
        db.session.commit()
        database.upgrade()
    assert found(admin, "홍길동") == [7]
    assert found(admin, "2222-33") == [7]
