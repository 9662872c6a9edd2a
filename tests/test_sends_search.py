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
