"""The send log (/sends): filters, pages, JSON, the streamed CSV, masking per role, one send in
full, an administrator's mark on an unknown outcome, the purge, and the log's states."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update

from cafe24.schedule import KST
from simulator import GatewayBackend
from smsform import database
from smsform.extensions import db
from smsform.models import AuditEvent, Send, SendRecipient, User, utcnow
from smsform.services import search_index, sendlog, sendlog_query
from smsform.views.sends import CSV_COLUMNS
from tests.support import build_app, make_user, page, sign_in, valid_send

JSON = {"Accept": "application/json"}
ROLES = ("viewer", "sender", "admin")
ITEM_KEYS = {"id", "created_at", "user", "source", "sender", "kind", "recipients", "cost",
             "forecast", "test", "result", "code", "marked", "delivery"}


# -- the log as a test sets it up -----------------------------------------------------


def add_send(app: Flask, *, user: str | None = None, text: str = "안녕하세요",
             phones: tuple[str, ...] = ("010-2222-3333",), names: tuple[str, ...] = (),
             result: str = "success", code: str | None = "success",
             created_at: datetime | None = None, source: str = "form", kind: str = "S",
             subject: str | None = None, test: bool = False, answer: str | None = None,
             reserve_at: datetime | None = None, repeat: tuple[int, int] | None = None,
             detail: str | None = None) -> int:
    """Log one send as the service writes it (its recipients too); its id."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).filter_by(username=user)) if user else None
        recipients = [[p, names[i] if i < len(names) else None] for i, p in enumerate(phones)]
        forecast = 0 if test else len(phones) * (3 if kind == "L" else 1)
        send = Send(
            created_at=created_at or utcnow(), user_id=user_id, actor=user or "someone",
            source=source, client_address="10.1.2.3", sender="010-1234-5678", kind=kind,
            subject=subject, text=text, recipients=json.dumps(recipients, ensure_ascii=False),
            recipient_count=len(phones), forecast=forecast,
            cost=None if result in ("pending", "unknown") else
            forecast if result in ("success", "reserved") else 0,
            test=test, reserve_at=reserve_at, repeat_num=repeat[0] if repeat else None,
            repeat_minutes=repeat[1] if repeat else None, result=result, code=code,
            remaining=900 if result in ("success", "reserved", "test") else None,
            answer=answer, detail=detail, duration_ms=123,
            finished_at=None if result == "pending" else utcnow())
        db.session.add(send)
        db.session.flush()
        db.session.add_all(SendRecipient(send_id=send.id, position=i,
                                         phone=sendlog.digits(p), name=recipients[i][1])
                           for i, p in enumerate(phones))
        db.session.commit()
        return send.id


def counts(app: Flask) -> tuple[int, int, int]:
    """How many sends, recipient rows and audit events there are."""
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Send, SendRecipient, AuditEvent))


def ids(response) -> list[int]:
    """The send ids of a JSON list answer, in order."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def csv_rows(response) -> list[dict[str, str]]:
    """The CSV's rows by column key (its headings are in the reader's language)."""
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    header, *rows = csv.reader(io.StringIO(body[1:]))
    keys = [key for key, _label in CSV_COLUMNS]
    assert len(header) == len(keys)
    return [dict(zip(keys, row, strict=True)) for row in rows]


def kst(*args: int) -> datetime:
    """A Korea time, as the log stores it (UTC, naive)."""
    return datetime(*args, tzinfo=KST).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def app(backend: GatewayBackend) -> Flask:
    return build_app(backend)


@pytest.fixture
def admin(app):
    return sign_in(app, "admin")


@pytest.fixture
def sender(app):
    return sign_in(app, "sender")


@pytest.fixture
def viewer(app):
    return sign_in(app, "viewer")


@pytest.fixture
def clients(admin, sender, viewer):
    return {"admin": admin, "sender": sender, "viewer": viewer}


# -- every role on every route ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/sends", "/sends/1", "/sends?format=csv"])
def test_anonymous_visitors_sign_in_first(app, path):
    make_user(app, "someone", "a-long-enough-password", "admin")
    add_send(app)
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get(path, headers=JSON).status_code == 401


def test_anonymous_marks_nothing(app):
    make_user(app, "someone", "a-long-enough-password", "admin")
    send_id = add_send(app, result="unknown", code="unknown")
    client = app.test_client()
    assert client.post(f"/sends/{send_id}/mark", data={"mark": "sent"}).status_code == 302
    assert client.post(f"/sends/{send_id}/mark", data={"mark": "sent"},
                       headers=JSON).status_code == 401
    with app.app_context():
        assert db.session.get(Send, send_id).marked is None


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_log_and_each_send(app, clients, role):
    send_id = add_send(app)
    client = clients[role]
    assert client.get("/sends").status_code == 200
    assert client.get("/sends", headers=JSON).status_code == 200
    assert client.get("/sends?format=csv").status_code == 200
    assert client.get(f"/sends/{send_id}").status_code == 200
    assert client.get(f"/sends/{send_id}", headers=JSON).status_code == 200


@pytest.mark.parametrize("role, status", [("viewer", 403), ("sender", 403), ("admin", 303)])
def test_only_admins_mark(app, clients, role, status):
    send_id = add_send(app, result="unknown", code="unknown")
    response = clients[role].post(f"/sends/{send_id}/mark", data={"mark": "sent"})
    assert response.status_code == status
    with app.app_context():
        assert (db.session.get(Send, send_id).marked is not None) == (role == "admin")


@pytest.mark.parametrize("path", ["/sends", "/sends/1", "/sends?format=csv",
                                  "/sends?format=json"])
def test_nothing_of_the_log_is_cached(app, admin, path):
    add_send(app)
    assert admin.get(path).headers["Cache-Control"] == "no-store"


def test_missing_sends_are_not_found(admin):
    assert admin.get("/sends/999").status_code == 404
    assert admin.get(f"/sends/{2**70}").status_code == 404  # no integer overflow, no 500
    assert admin.get("/sends/abc").status_code == 404
    assert admin.post("/sends/999/mark", data={"mark": "sent"}).status_code == 404


# -- the list: order, JSON, pages ------------------------------------------------------------


def test_newest_first_in_the_json_shape(app, admin):
    make_user(app, "kim", "a-long-enough-password", "sender")
    old = add_send(app, user="kim", created_at=kst(2026, 3, 1, 9, 30))
    new = add_send(app, user="kim", kind="L", subject="제목", source="json", test=True,
                   result="test", code="test", phones=("010-2222-3333", "010-4444-5555"))
    body = admin.get("/sends", headers=JSON).get_json()
    assert body["total"] == 2
    assert [i["id"] for i in body["items"]] == [new, old]
    first, second = body["items"]
    assert set(first) == ITEM_KEYS
    assert first | {"created_at": None} == {
        "id": new, "created_at": None, "user": "kim", "source": "json",
        "sender": "010-1234-5678", "kind": "lms", "recipients": 2, "cost": 0, "forecast": 0,
        "test": True,
        "result": "test", "code": "test", "marked": None, "delivery": None}
    assert datetime.fromisoformat(first["created_at"]).utcoffset() == timedelta(hours=9)
    assert second["created_at"] == "2026-03-01T09:30:00+09:00"
    assert second["kind"] == "sms"
    assert admin.get("/sends?format=json").get_json() == body


def test_pages_of_fifty(app, admin):
    start = utcnow() - timedelta(hours=1)
    made = [add_send(app, created_at=start + timedelta(seconds=i)) for i in range(120)]
    newest_first = made[::-1]
    first = admin.get("/sends", headers=JSON).get_json()
    assert (first["total"], first["page"], first["pages"]) == (120, 1, 3)
    assert ids(admin.get("/sends?page=1", headers=JSON)) == newest_first[:50]
    assert ids(admin.get("/sends?page=2", headers=JSON)) == newest_first[50:100]
    assert ids(admin.get("/sends?page=3", headers=JSON)) == newest_first[100:]
    assert ids(admin.get("/sends?page=4", headers=JSON)) == []

    soup = page(admin.get("/sends?page=2&result=success"))
    assert len(soup.select("#sends tbody tr")) == 50
    assert soup.select_one("#total").get_text() == "120"
    assert soup.select_one('a[rel="prev"]')["href"] == "/sends?page=1&result=success"
    assert soup.select_one('a[rel="next"]')["href"] == "/sends?page=3&result=success"
    assert soup.select_one("#csv-link")["href"] == "/sends?format=csv&result=success"


def test_each_row_links_to_its_send(app, admin):
    send_id = add_send(app, text="주문하신 상품이 오늘 발송됩니다. 감사합니다. " * 3,
                       phones=("010-2222-3333", "010-4444-5555", "010-6666-7777"))
    row = page(admin.get("/sends")).select_one(f'#sends tr[data-id="{send_id}"]')
    assert row.select_one("a")["href"] == f"/sends/{send_id}"
    assert row.select_one(".number").get_text() == "010-2222-3333"
    assert row.select_one(".msg").get_text().endswith("…")  # an excerpt of the text


# -- filters ----------------------------------------------------------------------------


def test_filter_by_user(app, admin):
    make_user(app, "kim", "a-long-enough-password", "sender")
    make_user(app, "lee", "a-long-enough-password", "sender")
    kims = [add_send(app, user="kim"), add_send(app, user="kim")]
    add_send(app, user="lee")
    assert ids(admin.get("/sends?user=kim", headers=JSON)) == kims[::-1]
    assert admin.get("/sends?user=kim", headers=JSON).get_json()["total"] == 2


STATES = ["success", "reserved", "test", "refused", "not_sent", "unknown"]


def test_filter_by_result_counts_old_pending_sends_as_unknown(app, admin):
    made = {state: add_send(app, result=state, code={"refused": "-114"}.get(state, state))
            for state in STATES}
    young = add_send(app, result="pending", code=None)  # its answer may still come
    stuck = add_send(app, result="pending", code=None,  # the process stopped mid-call
                     created_at=utcnow() - timedelta(hours=1))
    for state in STATES:
        expected = [made[state]] if state != "unknown" else [made["unknown"], stuck]
        assert ids(admin.get(f"/sends?result={state}", headers=JSON)) == expected, state
    assert ids(admin.get("/sends?result=pending", headers=JSON)) == [young]
    assert ids(admin.get("/sends", headers=JSON)) == [young, *reversed(made.values()), stuck]


def test_a_young_pending_send_shows_as_pending_and_an_old_one_as_unknown(app, admin):
    young = add_send(app, result="pending", code=None)
    with app.app_context():
        margin = sendlog.unknown_after()
    stuck = add_send(app, result="pending", code=None,
                     created_at=utcnow() - margin - timedelta(seconds=2))
    items = {i["id"]: i for i in admin.get("/sends", headers=JSON).get_json()["items"]}
    assert items[young]["result"] == "pending"
    assert items[stuck]["result"] == "unknown"
    assert page(admin.get(f"/sends/{stuck}")).select_one("#send-detail")[
        "data-result"] == "unknown"
    assert page(admin.get(f"/sends/{young}")).select_one("#send-detail")[
        "data-result"] == "pending"


@pytest.mark.parametrize("q", ["010-4444-5555", "01044445555", " 010 4444 5555 "])
def test_filter_by_a_recipient_number_with_or_without_dashes(app, admin, q):
    hit = add_send(app, phones=("010-2222-3333", "010-4444-5555"))
    add_send(app, phones=("010-2222-3333",))
    add_send(app, text="연락처 01044445555 로 주세요")  # the number in a text is not a recipient
    assert ids(admin.get("/sends", query_string={"q": q}, headers=JSON)) == [hit]


def test_filter_by_words_every_word_anywhere_in_the_text_any_case(app, admin):
    restock = add_send(app, text="[스마트상사] 재입고 알림: 찜하신 상품이 다시 입고되었습니다.")
    sale = add_send(app, text="[스마트상사] 회원 전용 SALE 쿠폰이 발급되었습니다.")
    shipping = add_send(app, text="배송 안내: 주문하신 상품이 배송 중입니다.")
    both = add_send(app, text="재입고 상품 sale 안내")
    cases = {
        "재입고": [both, restock],
        "입고": [both, restock],  # inside a word, two characters
        "sale": [both, sale], "SaLe": [both, sale],  # any case
        "재입고 sale": [both],  # every word must occur
        "상품이 배송": [shipping],
        "스마트상사": [sale, restock],
        "없는말": [],
        "50%": [],  # LIKE's wildcards are plain characters
        '"배송"': [],  # and so are the index's quotes
    }
    for q, expected in cases.items():
        answer = admin.get("/sends", query_string={"q": q}, headers=JSON)
        assert ids(answer) == expected, q
        assert answer.get_json()["total"] == len(expected), q


def test_words_and_another_filter_together(app, admin):
    make_user(app, "kim", "a-long-enough-password", "sender")
    mine = add_send(app, user="kim", text="재입고 알림")
    add_send(app, text="재입고 알림")
    add_send(app, user="kim", text="배송 안내")
    body = admin.get("/sends?user=kim&q=입고", headers=JSON).get_json()
    assert ([i["id"] for i in body["items"]], body["total"]) == ([mine], 1)


def test_filter_by_korean_days_inclusive(app, admin):
    before = add_send(app, created_at=kst(2026, 2, 28, 23, 59, 59))
    first = add_send(app, created_at=kst(2026, 3, 1, 0, 0))  # 2026-02-28 15:00 UTC
    late = add_send(app, created_at=kst(2026, 3, 2, 23, 59, 59))
    after = add_send(app, created_at=kst(2026, 3, 3, 0, 0))
    assert ids(admin.get("/sends?from=2026-03-01&to=2026-03-02", headers=JSON)) == [late, first]
    assert ids(admin.get("/sends?from=2026-03-01&to=2026-03-01", headers=JSON)) == [first]
    assert ids(admin.get("/sends?from=2026-03-03", headers=JSON)) == [after]
    assert ids(admin.get("/sends?to=2026-02-28", headers=JSON)) == [before]


def test_totals_match_the_rows_whatever_the_filter(app, admin, backend):
    """The totals (summed per day, user and result on SQLite) agree with the rows the export
    lists, after sends whose results changed, a send without a user, and a purge."""
    make_user(app, "kim", "a-long-enough-password", "sender")
    for day, result in [(1, "success"), (1, "refused"), (2, "success"), (3, "not_sent")]:
        add_send(app, user="kim", result=result, code=result,
                 created_at=kst(2026, 3, day, 23, 30))
    add_send(app, user=None, result="success", created_at=kst(2026, 3, 2, 0, 0))
    add_send(app, user="kim", result="pending", code=None, created_at=kst(2026, 3, 2, 1, 0))
    admin.post("/smssend", data=valid_send())  # pending, then success: the count moves
    backend.inject("garbage")
    admin.post("/smssend", data=valid_send())  # pending, then unknown
    assert purge(app, "--before", "2026-03-02").exit_code == 0
    filters = ["", "user=kim", "user=admin-user", "from=2026-03-02", "to=2026-03-01",
               "from=2026-03-02&to=2026-03-02", "user=kim&from=2026-03-02"]
    filters += [f"result={r}" for r in sendlog_query.RESULTS]
    filters += [f"result={r}&user=kim&from=2026-03-01&to=2026-03-03"
                for r in sendlog_query.RESULTS]
    for query in filters:
        total = admin.get(f"/sends?{query}", headers=JSON).get_json()["total"]
        assert total == len(csv_rows(admin.get(f"/sends?format=csv&{query}"))), query
    assert admin.get("/sends", headers=JSON).get_json()["total"] == 8


BAD_FILTERS = [
    ("result=bogus", "result"),
    ("result=success&result=refused", "result"),
    ("user=nobody", "user"),
    ("from=2026-02-30", "from"),
    ("from=20260301", "from"),
    ("from=1999-12-31", "from"),
    ("to=3000-01-01", "to"),
    ("from=2026-03-02&to=2026-03-01", "to"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("page=%EF%BC%92", "page"),  # a full-width digit
    ("page=99999999999999999999", "page"),
    ("q=" + "가" * 101, "q"),
    ("q=a%00b", "q"),
    ("q=a", "q"),  # one character matches nearly every text
    ("q=" + "+".join(f"w{i}" for i in range(11)), "q"),
    ("format=xml", "format"),
]


@pytest.mark.parametrize("query, field", BAD_FILTERS)
def test_bad_filters_get_400_in_korean_and_write_nothing(app, admin, query, field):
    add_send(app)
    before = counts(app)
    answer = admin.get(f"/sends?{query}&format=json" if field != "format" else f"/sends?{query}",
                       headers=JSON)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["code"] == "bad_filter"
    assert body["message"] == "쓸 수 없는 조회 조건이 있습니다."
    assert list(body["errors"]) == [field]
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in text) for text in body["errors"][field])
    assert counts(app) == before


@pytest.mark.parametrize("query, field", [q for q in BAD_FILTERS if q[1] != "format"])
def test_bad_filters_on_the_page_are_shown_beside_their_field(app, admin, query, field):
    answer = admin.get(f"/sends?{query}")
    assert answer.status_code == 400
    soup = page(answer)
    assert soup.select_one("#sends") is None
    shown = soup.select_one(f"#{field}-error") or soup.select_one("#page-error")
    assert shown is not None and shown.get_text(strip=True)


def test_bad_filters_are_english_when_english_is_chosen(admin):
    body = admin.get("/sends?result=bogus&lang=en", headers=JSON).get_json()
    assert body["errors"]["result"] == [
        "Unknown result bogus; use one of pending, success, reserved, test, refused, "
        "not_sent, unknown."]


def test_bad_filters_are_refused_in_csv_too(app, admin):
    answer = admin.get("/sends?format=csv&from=yesterday")
    assert answer.status_code == 400
    assert "text/csv" not in answer.headers["Content-Type"]


# -- CSV --------------------------------------------------------------------------------


def test_csv_streams_the_whole_filtered_set_not_one_page(app, admin, monkeypatch):
    monkeypatch.setattr(sendlog_query, "EXPORT_BATCH", 7)  # many batches, one stream
    start = utcnow() - timedelta(hours=1)
    made = [add_send(app, created_at=start + timedelta(seconds=i),
                     result="refused" if i % 3 == 0 else "success",
                     code="-114" if i % 3 == 0 else "success") for i in range(60)]
    answer = admin.get("/sends?format=csv")
    assert answer.is_streamed
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == "attachment; filename=sends.csv"
    rows = csv_rows(answer)
    assert [int(r["id"]) for r in rows] == made[::-1]
    refused = csv_rows(admin.get("/sends?format=csv&result=refused"))
    assert [int(r["id"]) for r in refused] == made[::3][::-1]
    assert {r["code"] for r in refused} == {"-114"}  # a code stays a number


def test_csv_of_a_word_search_goes_through_every_batch(app, admin, monkeypatch):
    monkeypatch.setattr(sendlog_query, "EXPORT_BATCH", 4)
    made = [add_send(app, text=f"재입고 알림 {i}" if i % 2 else f"배송 {i}") for i in range(30)]
    rows = csv_rows(admin.get("/sends", query_string={"format": "csv", "q": "재입고"}))
    assert [int(r["id"]) for r in rows] == made[1::2][::-1]


def test_csv_has_a_bom_korean_text_and_neutralised_formulas(app, admin):
    add_send(app, text="=HYPERLINK(\"http://evil\")", subject="+제목", kind="L",
             phones=("010-2222-3333", "010-4444-5555"), names=("홍길동", "@김철수"))
    answer = admin.get("/sends?format=csv")
    assert answer.get_data().startswith("\ufeff".encode())
    (row,) = csv_rows(answer)
    assert row["text"] == "'=HYPERLINK(\"http://evil\")"
    assert row["subject"] == "'+제목"
    assert row["numbers"] == "010-2222-3333 홍길동; 010-4444-5555 @김철수"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["created_at"])  # Korea time
    assert (row["kind"], row["recipients"], row["cost"], row["result"]) == ("LMS", "2", "6",
                                                                             "발송 접수")


# -- masking ------------------------------------------------------------------------------


def test_viewers_see_numbers_masked_everywhere(app, viewer):
    send_id = add_send(app, phones=("010-2222-3333", "02-123-4567"), names=("홍길동", "김철수"),
                       text="{name}님 안녕하세요")
    listed = page(viewer.get("/sends")).select_one(".number").get_text()
    assert listed == "010-****-3333"
    detail = page(viewer.get(f"/sends/{send_id}"))
    assert [n.get_text() for n in detail.select("#recipient-list .number")] == [
        "010-****-3333", "02-***-4567"]
    shown = detail.get_text()
    assert "2222" not in shown and "123-4567" not in shown
    body = viewer.get(f"/sends/{send_id}", headers=JSON).get_json()
    assert [r["phone"] for r in body["recipients_list"]] == ["010-****-3333", "02-***-4567"]
    assert [n.get_text() for n in detail.select("#recipient-list .name")] == ["홍*동", "김*수"]
    assert "홍길동" not in shown and "김철수" not in shown  # the merged texts too
    assert detail.select_one("#address") is None and "10.1.2.3" not in shown
    assert [r["name"] for r in body["recipients_list"]] == ["홍*동", "김*수"]
    (row,) = csv_rows(viewer.get("/sends?format=csv"))
    assert row["numbers"] == "010-****-3333 홍*동; 02-***-4567 김*수"
    assert "2222" not in viewer.get("/sends?format=csv").get_data(as_text=True)


@pytest.mark.parametrize("role", ["sender", "admin"])
def test_senders_and_admins_see_numbers_whole(app, clients, role):
    send_id = add_send(app, phones=("010-2222-3333",), user="sender-user")
    client = clients[role]
    assert page(client.get("/sends")).select_one(".number").get_text() == "010-2222-3333"
    assert page(client.get(f"/sends/{send_id}")).select_one(
        "#recipient-list .number").get_text() == "010-2222-3333"
    assert csv_rows(client.get("/sends?format=csv"))[0]["numbers"] == "010-2222-3333"


def test_viewers_may_not_search_by_number_but_by_words(app, viewer):
    hit = add_send(app, text="재입고 알림", phones=("010-2222-3333",))
    before = counts(app)
    for q in ("010-2222-3333", "01022223333"):
        answer = viewer.get("/sends", query_string={"q": q}, headers=JSON)
        assert answer.status_code == 403
        assert answer.get_json()["code"] == "numbers_hidden"
        assert "번호" in answer.get_json()["message"]
        assert viewer.get("/sends", query_string={"q": q, "format": "csv"}).status_code == 403
    assert ids(viewer.get("/sends?q=재입고", headers=JSON)) == [hit]
    assert counts(app) == before


def test_mask_keeps_the_shape_of_the_number():
    mask = sendlog_query.mask_phone
    assert mask("010-1234-5678") == "010-****-5678"
    assert mask("01012345678") == "010-****-5678"
    assert mask("02-123-4567") == "02-***-4567"
    assert mask("1588-1234") == "****-1234"


# -- one send in full ------------------------------------------------------------------


def test_a_send_in_full(app, admin):
    make_user(app, "kim", "a-long-enough-password", "sender")
    send_id = add_send(app, user="kim", text="{name}님, 주문이 접수되었습니다.", kind="L",
                       subject="주문 안내", phones=("010-2222-3333", "010-4444-5555"),
                       names=("홍길동", "김철수"), result="reserved", code="reserved",
                       reserve_at=kst(2026, 3, 1, 9, 30), repeat=(3, 20), source="json")
    soup = page(admin.get(f"/sends/{send_id}"))
    assert soup.select_one("#who").get_text() == "kim"
    assert soup.select_one("#source").get_text() == "웹 양식(JSON)"
    assert soup.select_one("#address").get_text() == "10.1.2.3"
    assert soup.select_one("#reserve-at").get_text() == "2026-03-01 09:30 KST"
    assert "3" in soup.select_one("#repeat").get_text()
    assert "20" in soup.select_one("#repeat").get_text()
    assert soup.select_one("#duration").get_text().startswith("123")
    assert soup.select_one("#subject").get_text() == "주문 안내"
    assert soup.select_one("#text").get_text() == "{name}님, 주문이 접수되었습니다."
    rows = [[td.get_text() for td in tr.select("td")]
            for tr in soup.select("#recipient-list tbody tr")]
    # A reservation the gateway took: its recipients wait for the result list's report.
    assert rows == [["010-2222-3333", "홍길동", "홍길동님, 주문이 접수되었습니다.", "결과 대기"],
                    ["010-4444-5555", "김철수", "김철수님, 주문이 접수되었습니다.", "결과 대기"]]
    assert soup.select_one("#code").get_text() == "-"  # the gateway answered a word, not a code
    assert soup.select_one("#code-text").get_text(strip=True)  # what the code means


def test_a_refusal_says_what_its_code_means(app, admin):
    send_id = add_send(app, result="refused", code="-114")
    soup = page(admin.get(f"/sends/{send_id}"))
    assert soup.select_one("#code").get_text() == "-114"
    assert "발신" in soup.select_one("#code-text").get_text()  # -114: the sender number


@pytest.mark.parametrize("role, shown", [("viewer", False), ("sender", False), ("admin", True)])
def test_the_gateways_answer_only_for_admins(app, clients, role, shown):
    send_id = add_send(app, answer="success,900")
    soup = page(clients[role].get(f"/sends/{send_id}"))
    assert (soup.select_one("#answer") is not None) == shown
    assert ("success,900" in soup.get_text()) == shown


# -- marking an unknown outcome ----------------------------------------------------------


def audit_rows(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


@pytest.mark.parametrize("stored", ["unknown", "pending"])
def test_an_admin_marks_an_unknown_send_and_it_is_audited(app, admin, stored):
    send_id = add_send(app, result=stored, code=stored if stored == "unknown" else None,
                       created_at=utcnow() - timedelta(hours=1))
    soup = page(admin.get(f"/sends/{send_id}"))
    assert soup.select_one("#mark-form form")["action"] == f"/sends/{send_id}/mark"
    answer = admin.post(f"/sends/{send_id}/mark", data={"mark": "not_sent"})
    assert (answer.status_code, answer.headers["Location"]) == (303, f"/sends/{send_id}")
    with app.app_context():
        send = db.session.get(Send, send_id)
        admin_id = db.session.scalar(select(User.id).filter_by(username="admin-user"))
        assert (send.result, send.marked, send.marked_by) == (stored, "not_sent", admin_id)
        assert send.marked_at is not None
    (event,) = audit_rows(app, "send_marked")
    assert (event.actor, event.actor_id, event.target) == ("admin-user", admin_id, str(send_id))
    assert json.loads(event.detail) == {"mark": "not_sent", "previous": None}
    item = admin.get("/sends", headers=JSON).get_json()["items"][0]
    assert (item["result"], item["marked"]) == ("unknown", "not_sent")  # the mark beside it
    assert page(admin.get(f"/sends/{send_id}")).select_one("#mark") is not None


def test_a_mark_can_be_corrected_and_both_are_audited(app, admin):
    send_id = add_send(app, result="unknown", code="unknown")
    admin.post(f"/sends/{send_id}/mark", data={"mark": "not_sent"})
    assert admin.post(f"/sends/{send_id}/mark", data={"mark": "sent"},
                      headers=JSON).get_json() == {"id": send_id, "marked": "sent"}
    details = [json.loads(e.detail) for e in audit_rows(app, "send_marked")]
    assert details == [{"mark": "not_sent", "previous": None},
                       {"mark": "sent", "previous": "not_sent"}]


@pytest.mark.parametrize("result, created", [
    ("success", timedelta(hours=1)), ("refused", timedelta(hours=1)),
    ("pending", timedelta(seconds=0))])  # still waiting for its answer: not unknown yet
def test_only_an_unknown_outcome_can_be_marked(app, admin, result, created):
    send_id = add_send(app, result=result, code=result if result != "pending" else None,
                       created_at=utcnow() - created)
    assert page(admin.get(f"/sends/{send_id}")).select_one("#mark-form") is None
    before = counts(app)
    answer = admin.post(f"/sends/{send_id}/mark", data={"mark": "sent"}, headers=JSON)
    assert answer.status_code == 409
    assert answer.get_json()["code"] == "not_unknown"
    assert counts(app) == before


@pytest.mark.parametrize("data", [{}, {"mark": "maybe"}, {"mark": ["sent", "not_sent"]}])
def test_a_mark_must_be_sent_or_not_sent(app, admin, data):
    send_id = add_send(app, result="unknown", code="unknown")
    before = counts(app)
    assert admin.post(f"/sends/{send_id}/mark", data=data).status_code == 400
    assert counts(app) == before


def test_a_mark_without_the_csrf_token_is_refused(backend):
    app = build_app(backend, WTF_CSRF_ENABLED=True)
    client = sign_in(app, "admin")
    send_id = add_send(app, result="unknown", code="unknown")
    assert client.post(f"/sends/{send_id}/mark", data={"mark": "sent"}).status_code == 400
    with app.app_context():
        assert db.session.get(Send, send_id).marked is None
    token = page(client.get(f"/sends/{send_id}")).select_one(
        "#mark-form input[name=csrf_token]")["value"]
    answer = client.post(f"/sends/{send_id}/mark", data={"mark": "sent", "csrf_token": token})
    assert answer.status_code == 303


def test_an_unknown_send_is_never_sent_again_by_itself(app, admin, backend):
    backend.inject("garbage")  # the answer is lost: the outcome is unknown
    body = admin.post("/smssend", data=valid_send(), headers=JSON).get_json()
    send_id = body["send_id"]
    admin.post(f"/sends/{send_id}/mark", data={"mark": "not_sent"})
    admin.get("/sends")
    admin.get(f"/sends/{send_id}")
    calls = [c for c in backend.calls if c.path == "/sms_sender.php"]
    assert len(calls) == 1
    assert admin.get("/sends", headers=JSON).get_json()["items"][0]["result"] == "unknown"


# -- the log's states through the real send path -------------------------------------


def test_sends_through_the_form_and_json_are_in_the_log(app, admin, backend):
    page_answer = admin.post("/smssend", data=valid_send())
    link = page(page_answer).select_one("#log-link")["href"]
    json_answer = admin.post("/smssend", data=valid_send(testflag="Y"), headers=JSON).get_json()
    items = admin.get("/sends", headers=JSON).get_json()["items"]
    assert [(i["source"], i["result"], i["user"]) for i in items] == [
        ("json", "test", "admin-user"), ("form", "success", "admin-user")]
    assert json_answer["send_id"] == items[0]["id"]
    assert link == f"/sends/{items[1]['id']}"


def test_a_refused_send_answers_with_its_log_row(app, admin, backend):
    backend.accounts["demo"].senders = ["02-999-9999"]  # ours is not registered: -114
    answer = admin.post("/smssend", data=valid_send(), headers=JSON)
    body = answer.get_json()
    assert body["send_id"] is not None
    detail = admin.get(f"/sends/{body['send_id']}", headers=JSON).get_json()
    assert (detail["result"], detail["code"]) == ("refused", "-114")


def test_a_repeated_form_links_to_the_first_send(app, admin, backend):
    form = page(admin.get("/smsform"))
    token = form.select_one("input[name=send_token]")["value"]
    first = admin.post("/smssend", data=valid_send(send_token=token), headers=JSON).get_json()
    again = admin.post("/smssend", data=valid_send(send_token=token))
    assert again.status_code == 409
    assert page(again).select_one("#log-link")["href"] == f"/sends/{first['send_id']}"
    body = admin.post("/smssend", data=valid_send(send_token=token), headers=JSON).get_json()
    assert body["send_id"] == first["send_id"]


# -- purge ----------------------------------------------------------------------------


def purge(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["log", "purge", *args])


def test_purge_removes_texts_and_numbers_but_keeps_the_counts(app, admin):
    old = add_send(app, text="오래된 재입고 알림", subject="제목", kind="L",
                   phones=("010-2222-3333", "010-4444-5555"), names=("홍길동", ""),
                   created_at=kst(2026, 2, 28, 23, 59), answer="success,900",
                   result="refused", code="-114")
    kept = add_send(app, text="새 재입고 알림", phones=("010-2222-3333",),
                    created_at=kst(2026, 3, 1, 0, 0))
    result = purge(app, "--before", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    with app.app_context():
        send = db.session.get(Send, old)
        assert (send.text, send.subject, send.recipients, send.answer) == (None,) * 4
        assert send.purged_at is not None
        assert (send.recipient_count, send.forecast, send.cost, send.kind, send.result,
                send.code) == (2, 6, 0, "L", "refused", "-114")
        assert db.session.scalars(select(SendRecipient.send_id)).all() == [kept]
        assert db.session.get(Send, kept).text == "새 재입고 알림"
    (event,) = audit_rows(app, "log_purged")
    assert event.actor == "cli"
    assert json.loads(event.detail) == {"before": "2026-03-01", "rows": 1}
    # History stays true: the row is still listed and counted, with its result.
    body = admin.get("/sends?result=refused", headers=JSON).get_json()
    assert (body["total"], body["items"][0]["recipients"]) == (1, 2)
    # Its words and numbers are gone from the searches too.
    assert ids(admin.get("/sends?q=재입고", headers=JSON)) == [kept]
    assert ids(admin.get("/sends?q=01044445555", headers=JSON)) == []
    soup = page(admin.get(f"/sends/{old}"))
    assert soup.select_one("#purged") is not None
    assert soup.select_one("#recipient-list") is None
    assert soup.select_one("#answer") is None
    assert csv_rows(admin.get("/sends?format=csv&result=refused"))[0]["text"] == ""


def test_purge_twice_purges_nothing_more(app):
    add_send(app, created_at=kst(2026, 1, 1, 12, 0))
    assert purge(app, "--before", "2026-02-01").exit_code == 0
    assert purge(app, "--before", "2026-02-01").exit_code == 0
    assert [json.loads(e.detail)["rows"] for e in audit_rows(app, "log_purged")] == [1, 0]


def test_purge_without_a_date_keeps_the_retention_setting(backend):
    app = build_app(backend, SMSFORM_LOG_RETENTION_DAYS="30")
    old = add_send(app, created_at=utcnow() - timedelta(days=32))
    recent = add_send(app, created_at=utcnow() - timedelta(days=28))
    dry = purge(app, "--dry-run")
    assert dry.exit_code == 0
    with app.app_context():
        assert db.session.get(Send, old).text is not None  # a dry run changes nothing
    assert purge(app).exit_code == 0
    with app.app_context():
        assert db.session.get(Send, old).purged_at is not None
        assert db.session.get(Send, recent).purged_at is None
    cut = (datetime.now(KST).date() - timedelta(days=30)).isoformat()
    assert [json.loads(e.detail)["before"] for e in audit_rows(app, "log_purged")] == [cut]


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "20260301", "", "2026-3-1",
                                 (date.today() + timedelta(days=2)).isoformat()])
def test_purge_refuses_a_bad_day_with_exit_code_2(app, day):
    add_send(app, created_at=kst(2026, 1, 1, 12, 0))
    before = counts(app)
    result = purge(app, "--before", day)
    assert result.exit_code == 2
    assert "--before" in result.output
    assert counts(app) == before


def test_purge_works_in_batches(app, monkeypatch):
    monkeypatch.setattr(sendlog, "PURGE_BATCH", 3)
    made = [add_send(app, created_at=kst(2026, 1, 1, 12, i)) for i in range(10)]
    assert purge(app, "--before", "2026-01-02").exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Send).where(
            Send.purged_at.is_(None))) == 0
        assert db.session.scalar(select(func.count()).select_from(SendRecipient)) == 0
    assert json.loads(audit_rows(app, "log_purged")[0].detail)["rows"] == len(made)


# -- on the migrated schema, SQLite and PostgreSQL ------------------------------------


@pytest.fixture
def migrated_app(db_url: str, backend: GatewayBackend) -> Flask:
    return build_app(backend, tables="migrations", SQLALCHEMY_DATABASE_URI=db_url)


def test_filters_and_purge_on_the_migrated_database(migrated_app):
    app = migrated_app
    client = sign_in(app, "admin")
    make_user(app, "kim", "a-long-enough-password", "sender")
    restock = add_send(app, user="kim", text="재입고 SALE 알림", phones=("010-2222-3333",),
                       created_at=kst(2026, 3, 1, 0, 30))
    other = add_send(app, text="배송 안내", phones=("010-4444-5555",), result="refused",
                     code="-114", created_at=kst(2026, 3, 2, 10, 0))
    stuck = add_send(app, result="pending", code=None, created_at=utcnow() - timedelta(hours=1))
    assert ids(client.get("/sends", headers=JSON)) == [stuck, other, restock]
    assert ids(client.get("/sends?user=kim", headers=JSON)) == [restock]
    assert ids(client.get("/sends?result=refused", headers=JSON)) == [other]
    assert ids(client.get("/sends?result=unknown", headers=JSON)) == [stuck]
    assert ids(client.get("/sends?q=01044445555", headers=JSON)) == [other]
    assert ids(client.get("/sends?q=입고 sale", headers=JSON)) == [restock]
    assert ids(client.get("/sends?from=2026-03-01&to=2026-03-01", headers=JSON)) == [restock]
    assert [int(r["id"]) for r in csv_rows(client.get("/sends?format=csv&q=안내"))] == [other]
    assert purge(app, "--before", "2026-03-02").exit_code == 0
    assert ids(client.get("/sends?q=입고", headers=JSON)) == []
    assert ids(client.get("/sends?from=2026-03-01&to=2026-03-01", headers=JSON)) == [restock]


def test_the_migration_indexes_texts_logged_before_it(tmp_path, backend):
    app = build_app(backend, tables=None,
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        database.upgrade("0002_send_log")
        with db.engine.begin() as connection:  # a row as 0002 wrote it (the models are newer)
            old = connection.execute(text(
                "INSERT INTO sends (created_at, actor, source, sender, kind, text, recipients, "
                "recipient_count, cost, test, result, code) VALUES (:at, 'someone', 'form', "
                "'010-1234-5678', 'S', '업그레이드 전에 보낸 재입고 알림', '[]', 1, 1, 0, "
                "'success', 'success') RETURNING id"), {"at": utcnow()}).scalar_one()
    with app.app_context():
        database.upgrade()
        objects = db.session.execute(text(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'sends_search%' "
            "ORDER BY name")).all()
    client = sign_in(app, "viewer")
    assert ids(client.get("/sends?q=재입고", headers=JSON)) == [old]
    assert client.get("/sends?result=success", headers=JSON).get_json()["total"] == 1
    assert ids(client.get("/sends?q=입고", headers=JSON)) == [old]
    fresh = build_app(backend)  # the models' own DDL makes exactly the same objects
    with fresh.app_context():
        assert db.session.execute(text(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'sends_search%' "
            "ORDER BY name")).all() == objects


def test_purge_leaves_no_trace_of_the_text_numbers_or_key_in_the_files(tmp_path, backend):
    path = tmp_path / "smsform.db"
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    # Long enough to spill into overflow pages, which are freed (not rewritten) by a purge.
    marker = "재입고 알림 " * 400 + "퍼지표식ZQXJ" + " 끝" * 400
    old = add_send(app, text=marker, phones=("010-2468-1357",),
                   created_at=kst(2026, 2, 1, 9, 0))
    with app.app_context():
        db.session.execute(update(Send).where(Send.id == old).values(
            request_hash="d" * 64, send_key="key:1:order-10023-shipped"))
        db.session.commit()
        # A year-old row lives in the database file itself, not in the write-ahead log.
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        assert "퍼지표식ZQXJ".encode() in path.read_bytes()
        assert search_index.catch_up() == 2  # its text and its number, in the word indexes
        assert db.session.execute(text(
            "SELECT 1 FROM sends_search_terms WHERE term = 'zqx'")).first() is not None
    assert purge(app, "--before", "2026-03-01").exit_code == 0
    with app.app_context():
        send = db.session.get(Send, old)
        assert (send.request_hash, send.send_key) == (None, None)
        # The word index keeps no trigram of the purged text (FTS5 optimize folded the
        # deletions away).
        assert db.session.execute(text(
            "SELECT term FROM sends_search_terms WHERE term IN ('zqx', 'qxj')")).all() == []
        db.session.commit()
        # The app's connections stay open, as on a running server: the files themselves,
        # the write-ahead log included, hold nothing of it.
        for file in tmp_path.iterdir():
            data = file.read_bytes()
            # the text, the number, the caller's key, and the word index's own trigrams of
            # the text (lower-cased: its terms), which only FTS5 optimize removes
            for trace in ("퍼지표식ZQXJ".encode(), b"01024681357", b"order-10023", b"zqx",
                          b"qxj"):
                assert trace not in data, (file.name, trace)


def test_purge_says_when_readers_keep_it_from_emptying_the_write_ahead_log(
        tmp_path, backend, monkeypatch, caplog):
    import sqlite3

    monkeypatch.setattr(sendlog, "CHECKPOINT_TRIES", 2)
    monkeypatch.setattr(sendlog, "CHECKPOINT_PAUSE", 0)
    path = tmp_path / "smsform.db"
    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    add_send(app, text="오래된 알림", created_at=kst(2026, 2, 1, 9, 0))
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sends").fetchone()  # a snapshot held open
        assert purge(app, "--before", "2026-03-01").exit_code == 0
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert "write-ahead log could not be emptied" in caplog.text
