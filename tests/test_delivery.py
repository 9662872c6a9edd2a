"""services/delivery.py: each recipient's delivery read back from the simulator's result
list (the simulator fails numbers ending in 0000 and 9999, with a refund)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.extensions import db
from smsform.models import DeliverySync, Send, SendRecipient
from smsform.services import delivery, sendlog
from smsform.states import Delivery, Result
from tests.support import page, valid_send

_r = SendRecipient.__table__
_s = Send.__table__


def sync(app, **kwargs) -> delivery.SyncReport:
    kwargs.setdefault("windows", delivery.Windows(pace=0))
    with app.app_context():
        return delivery.sync(**kwargs)


def recipients(app, send_id: int | None = None) -> list[tuple]:
    with app.app_context(), db.engine.connect() as connection:
        query = select(_r.c.send_id, _r.c.position, _r.c.phone, _r.c.delivery,
                       _r.c.delivery_code, _r.c.refunded_at, _r.c.delivery_ambiguous,
                       _r.c.delivery_at).order_by(_r.c.send_id, _r.c.position)
        if send_id is not None:
            query = query.where(_r.c.send_id == send_id)
        return connection.execute(query).all()


def states(app) -> dict[str, str | None]:
    return {row.phone: row.delivery for row in recipients(app)}


def list_calls(backend) -> list[dict[str, str]]:
    return [call.fields for call in backend.calls if call.path.endswith("sms_list.php")]


def send_ids(app) -> list[int]:
    with app.app_context(), db.engine.connect() as connection:
        return list(connection.execute(select(_s.c.id).order_by(_s.c.id)).scalars())


def test_delivered_and_failed_recipients_with_the_failures_code_and_refund(
        app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333,010-4444-0000,010-5555-9999"))
    report = sync(app)
    assert (report.matched, report.delivered, report.failed, report.foreign) == (3, 1, 2, 0)
    rows = {row.phone: row for row in recipients(app)}
    assert rows["01022223333"].delivery == Delivery.DELIVERED
    assert rows["01044440000"].delivery == Delivery.FAILED
    assert rows["01044440000"].delivery_code == "3208"  # the simulator's SMS code for 0000
    assert rows["01055559999"].delivery_code == "3207"
    assert rows["01044440000"].refunded_at is not None
    assert rows["01022223333"].refunded_at is None
    assert rows["01022223333"].delivery_at is not None
    # Every recipient is final: the send is not looked for again, and a second run makes
    # no list call at all.
    calls = len(list_calls(backend))
    again = sync(app)
    assert (again.calls, len(list_calls(backend))) == (0, calls)


def test_only_the_kinds_with_sends_waiting_are_read_one_call_per_fifty(
        app, admin_client, backend, clock):
    numbers = ",".join(f"010-7000-{i:04d}" for i in range(1, 121))  # 120 recipients
    admin_client.post("/smssend", data=valid_send(rphone=numbers))
    report = sync(app)
    assert report.matched == 120 and report.delivered == 120
    assert report.calls == math.ceil(120 / 50) == 3
    assert report.calls_by_kind == {"S": 3}  # no LMS list was read
    assert [c.get("smsType", "") for c in list_calls(backend)] == ["", "", ""]
    assert [c["startNo"] for c in list_calls(backend)] == ["0", "50", "100"]


def test_name_merged_texts_in_sms_and_lms(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send(
        rphone="", destination="010-2222-3333|홍길동,010-4444-5555|김철수",
        msg="{name}님 안녕하세요"))
    admin_client.post("/smssend", data=valid_send(
        rphone="", destination="010-6666-7777|이영희,010-8888-0000|박민수",
        msg="{name}님, " + "긴 안내문입니다. " * 12, smsType="L", subject="안내"))
    report = sync(app)
    assert report.calls_by_kind == {"S": 1, "L": 1}
    assert states(app) == {"01022223333": "delivered", "01044445555": "delivered",
                           "01066667777": "delivered", "01088880000": "failed"}
    lms_failure = next(r for r in recipients(app) if r.phone == "01088880000")
    assert lms_failure.delivery_code == "204"  # the simulator's LMS code for 0000


def test_a_reservation_waits_until_its_time_and_is_matched_by_it(app, admin_client, clock):
    later = clock.now + timedelta(hours=2)
    admin_client.post("/smssend", data=valid_send(
        rdate=later.strftime("%Y%m%d"), rtime=later.strftime("%H%M%S")))
    first = sync(app)
    assert first.calls == 0 and states(app) == {"01022223333": None}  # not due yet
    clock.advance(hours=2)
    report = sync(app, now=clock.now + timedelta(minutes=1))
    assert report.matched == 1 and states(app) == {"01022223333": "delivered"}


def test_a_repeats_later_copies_are_matched_and_a_failed_copy_fails_it(
        app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333", repeatFlag="Y", repeatNum="2", repeatTime="30"))
    clock.advance(minutes=30)
    report = sync(app, now=clock.now + timedelta(minutes=1))
    assert report.matched == 2 and report.foreign == 0  # both copies are this send's
    assert states(app) == {"01022223333": "delivered"}


def test_paging_past_fifty_records_over_several_days(app, admin_client, backend, clock):
    # Two sends made three days ago and one today, 130 records in all.
    three_days_ago = clock.now - timedelta(days=3)
    clock.now = three_days_ago
    old_numbers = ",".join(f"010-7100-{i:04d}" for i in range(1, 81))
    admin_client.post("/smssend", data=valid_send(rphone=old_numbers))
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(update(_s).values(
            created_at=three_days_ago.astimezone(UTC).replace(tzinfo=None)))
    clock.now = three_days_ago + timedelta(days=3)
    admin_client.post("/smssend", data=valid_send(
        rphone=",".join(f"010-7200-{i:04d}" for i in range(1, 51))))
    report = sync(app, now=clock.now)
    assert report.days >= 3
    assert (report.matched, report.delivered) == (130, 130)
    assert report.calls == math.ceil(130 / 50) == 3
    assert all(state == "delivered" for state in states(app).values())


def test_records_of_another_tool_are_counted_not_imported(app, admin_client, backend,
                                                          clock):
    admin_client.post("/smssend", data=valid_send())
    backend.send({"user_id": "demo", "secure": "demo-secure-key", "sphone1": "010",
                  "sphone2": "1234", "sphone3": "5678", "rphone": "010-9999-1234",
                  "msg": "다른 프로그램의 문자", "smsType": "S"})
    report = sync(app)
    assert (report.listed, report.matched, report.foreign) == (2, 1, 1)
    assert len(recipients(app)) == 1  # nothing imported


def test_the_same_text_to_the_same_number_twice_in_a_minute_is_marked_ambiguous(
        app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send())
    admin_client.post("/smssend", data=valid_send())
    report = sync(app)
    rows = recipients(app)
    assert report.matched == 2 and report.ambiguous == 2
    assert [(row.delivery, row.delivery_ambiguous) for row in rows] == [
        ("delivered", True), ("delivered", True)]
    assert len({row.send_id for row in rows}) == 2  # each send got one record


def test_no_report_after_the_window_and_a_late_report_still_corrects_it(
        app, admin_client, backend, clock):
    backend.settle_after = timedelta(days=30)  # the gateway never settles it
    admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333", msg="문자"))
    admin_client.post("/smssend", data=valid_send(
        rphone="010-4444-5555", msg="장문 " * 50, smsType="L", subject="안내"))
    soon = sync(app)
    assert soon.no_report == 0 and states(app) == {"01022223333": None, "01044445555": None}
    a_day_later = datetime.now(UTC) + timedelta(hours=25)
    report = sync(app, now=a_day_later)
    # 24 h for an SMS; an LMS has 72 h.
    assert report.no_report == 1
    assert states(app) == {"01022223333": "no_report", "01044445555": None}
    report = sync(app, now=datetime.now(UTC) + timedelta(hours=73))
    assert states(app) == {"01022223333": "no_report", "01044445555": "no_report"}


def test_windows_come_from_the_settings(app):
    settings = app.extensions["smsform.settings"]
    windows = delivery.windows_of(settings)
    assert (windows.sms, windows.lms) == (timedelta(hours=24), timedelta(hours=72))


def test_an_unknown_send_is_resolved_when_the_list_shows_it(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333"))
    [send_id] = send_ids(app)
    with app.app_context(), db.engine.begin() as connection:  # the process died mid-call
        connection.execute(update(_s).values(result=Result.PENDING.value, cost=None))
    with app.app_context():
        later = datetime.now(UTC) + sendlog.unknown_after() + timedelta(minutes=1)
    report = sync(app, now=later)
    assert report.resolved == 1
    with app.app_context(), db.engine.connect() as connection:
        row = connection.execute(select(_s.c.result, _s.c.listed_at, _s.c.marked)).one()
    assert row.result == Result.PENDING and row.listed_at is not None  # seen: it was sent
    assert row.marked is None  # an administrator's mark is theirs alone
    assert states(app) == {"01022223333": "delivered"}


def test_an_unknown_send_never_listed_stays_unknown_and_gets_no_report(
        app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333"))
    backend.reset()  # the gateway never had it
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(update(_s).values(result=Result.PENDING.value, cost=None))
    report = sync(app, now=datetime.now(UTC) + timedelta(hours=30))
    assert (report.resolved, report.no_report) == (0, 0)
    assert states(app) == {"01022223333": None}


def test_a_102_stops_the_sync_says_so_and_marks_nothing_no_report(
        app, admin_client, backend, clock):
    backend.settle_after = timedelta(days=30)
    admin_client.post("/smssend", data=valid_send())
    backend.accounts["demo"].secure_key = "a-newer-key"
    report = sync(app, now=datetime.now(UTC) + timedelta(hours=25))
    assert report.stopped == "-102" and report.calls == 1
    assert report.no_report == 0 and states(app) == {"01022223333": None}
    with app.app_context():
        last = delivery.last_run()
    assert last is not None and last["stopped"] == "-102" and last["calls"] == 1


def test_tests_and_refusals_are_never_looked_for(app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(testflag="Y"))
    backend.accounts["demo"].senders = [DEMO_SENDERS[1]]  # the form's sender: now -114
    admin_client.post("/smssend", data=valid_send())
    report = sync(app, now=datetime.now(UTC) + timedelta(hours=25))
    assert report.calls == 0 and report.no_report == 0
    assert [row.delivery for row in recipients(app)] == [None, None]  # no delivery at all


def test_each_run_is_kept(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send())
    sync(app)
    with app.app_context(), db.engine.connect() as connection:
        runs = connection.execute(select(DeliverySync.__table__)).all()
    assert len(runs) == 1 and runs[0].matched == 1 and runs[0].delivered == 1


def test_pace_waits_between_list_calls_only(app, admin_client, clock):
    numbers = ",".join(f"010-7300-{i:04d}" for i in range(1, 101))
    admin_client.post("/smssend", data=valid_send(rphone=numbers))
    waits: list[float] = []
    sync(app, windows=delivery.Windows(pace=0.25), sleep=waits.append)
    assert waits == [0.25]  # two calls, one pause between them


@pytest.mark.parametrize("raw", ["2026-12-07 10:00:00", "20261207100000"])
def test_refund_times_are_read_as_korea_time(raw):
    assert delivery._refund_time(raw) == datetime(2026, 12, 7, 1, 0)  # noqa: SLF001


def test_counts_by_send(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333,010-4444-0000"))
    sync(app)
    [send_id] = send_ids(app)
    with app.app_context():
        assert delivery.counts([send_id]) == {send_id: {"delivered": 1, "failed": 1}}


def test_kst_is_the_lists_day(app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send())
    sync(app)
    [call] = list_calls(backend)
    assert call["date"] == datetime.now(KST).strftime("%Y%m%d")


def test_the_worker_syncs_only_when_the_last_run_is_old_enough(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send())
    with app.app_context():
        first = delivery.sync_if_due()
        soon = delivery.sync_if_due(datetime.now(UTC) + timedelta(minutes=5))
        later = delivery.sync_if_due(datetime.now(UTC) + timedelta(minutes=11))
    assert first is not None and first.matched == 1
    assert soon is None  # SMSFORM_DELIVERY_EVERY is 10 minutes
    assert later is not None


def test_the_cli_prints_the_figures_and_exits_1_when_the_gateway_stops_it(
        app, admin_client, backend, clock, runner):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333,010-4444-0000"))
    result = runner.invoke(args=["delivery", "sync"])
    assert result.exit_code == 0, result.output
    assert "전달 1" in result.output or "1 delivered" in result.output
    assert states(app) == {"01022223333": "delivered", "01044440000": "failed"}
    as_json = runner.invoke(args=["delivery", "sync", "--json"])
    assert json.loads(as_json.output)["calls"] == 0  # nothing waits any more
    admin_client.post("/smssend", data=valid_send(rphone="010-6666-7777"))
    backend.accounts["demo"].secure_key = "a-newer-key"
    stopped = runner.invoke(args=["delivery", "sync"])
    assert stopped.exit_code == 1 and "-102" in stopped.output


# --- shown: the send's page, the log's filter and counts, the JSON -----------------------


def test_the_sends_page_shows_each_recipients_delivery_and_meaning(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333,010-4444-0000"))
    [send_id] = send_ids(app)
    before = page(admin_client.get(f"/sends/{send_id}"))
    assert [td.get_text(strip=True) for td in before.select("#recipient-list td.delivery")] \
        == ["결과 대기", "결과 대기"]
    sync(app)
    soup = page(admin_client.get(f"/sends/{send_id}"))
    cells = {tr.select_one(".number").get_text(): tr for tr in
             soup.select("#recipient-list tbody tr")}
    assert cells["010-2222-3333"]["data-delivery"] == "delivered"
    failed = cells["010-4444-0000"]
    assert failed["data-delivery"] == "failed"
    assert "환불" in failed.select_one("td.delivery").get_text()  # refunded, with its time
    assert failed.select_one(".meaning").get_text(strip=True)  # the code's meaning
    assert soup.select_one("#delivery-summary").get_text() == "전달 1 · 실패 1"
    body = admin_client.get(f"/sends/{send_id}", headers={"Accept": "application/json"}
                            ).get_json()
    by_phone = {r["phone"]: r for r in body["recipients_list"]}
    assert by_phone["010-4444-0000"]["delivery"] == "failed"
    assert by_phone["010-4444-0000"]["delivery_code"] == "3208"
    assert by_phone["010-4444-0000"]["refunded_at"]
    assert by_phone["010-2222-3333"]["delivery"] == "delivered"


def test_the_log_filters_by_delivery_and_counts_each_row(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333,010-4444-0000"))
    admin_client.post("/smssend", data=valid_send(rphone="010-5555-6666"))
    admin_client.post("/smssend", data=valid_send(rphone="010-5555-6666", testflag="Y"))
    first, second, test = send_ids(app)
    sync(app)
    admin_client.post("/smssend", data=valid_send(rphone="010-7777-8888"))  # after the sync
    *_, waiting = send_ids(app)
    as_json = {"Accept": "application/json"}

    def ids(delivery: str) -> list[int]:
        return [item["id"] for item in admin_client.get(
            f"/sends?delivery={delivery}", headers=as_json).get_json()["items"]]

    assert ids("failed") == [first]
    assert ids("delivered") == [second, first]
    assert ids("waiting") == [waiting]
    assert ids("no_report") == []
    items = {i["id"]: i for i in admin_client.get("/sends", headers=as_json).get_json()["items"]}
    assert items[first]["delivery"] == {"delivered": 1, "failed": 1}
    assert items[test]["delivery"] is None  # a test reaches no phone
    soup = page(admin_client.get("/sends"))
    row = soup.select_one(f'#sends tr[data-id="{first}"] .delivery')
    assert row.get_text() == "전달 1 · 실패 1"
    empty = page(admin_client.get("/sends?delivery=no_report"))
    assert empty.select_one("#no-match") is not None
    bad = admin_client.get("/sends?delivery=lost", headers=as_json)
    assert bad.status_code == 400 and list(bad.get_json()["errors"]) == ["delivery"]


def test_a_mark_that_disagrees_with_the_list_is_shown(app, admin_client, clock):
    admin_client.post("/smssend", data=valid_send())
    [send_id] = send_ids(app)
    with app.app_context(), db.engine.begin() as connection:  # the process died mid-call
        created = connection.execute(select(_s.c.created_at)).scalar()
        connection.execute(update(_s).values(result=Result.PENDING.value, cost=None,
                                             created_at=created - timedelta(hours=1)))
    assert admin_client.post(f"/sends/{send_id}/mark", data={"mark": "not_sent"}
                             ).status_code == 303
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(update(_s).values(created_at=created))
    sync(app, now=datetime.now(UTC) + timedelta(hours=1))
    soup = page(admin_client.get(f"/sends/{send_id}"))
    assert soup.select_one("#mark-disagrees") is not None
    assert soup.select_one("#listed-at") is not None
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(select(_s.c.marked)).scalar() == "not_sent"  # kept


def test_the_dashboard_shows_the_delivery_rate_failures_by_meaning_and_no_report(
        app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333,010-3333-4444,010-5555-6666,010-4444-0000"))
    sync(app)
    backend.settle_after = timedelta(days=30)
    admin_client.post("/smssend", data=valid_send(rphone="010-7777-8888"))
    sync(app, now=datetime.now(UTC) + timedelta(hours=25))  # the second never reported
    soup = page(admin_client.get("/dashboard"))
    # 3 delivered of 5 final (1 failed, 1 without a report)
    assert soup.select_one("#delivery-week .rate").get_text() == "60.0%"
    assert soup.select_one("#delivery-month .rate").get_text() == "60.0%"
    no_report = soup.select_one("#delivery-no-report a")
    assert no_report["href"] == "/sends?delivery=no_report" and "1" in no_report.get_text()
    [failure] = soup.select("#delivery-failures li")
    assert failure["data-code"] == "3208" and failure.get_text().startswith("1 ·")


def test_the_dashboard_says_nothing_is_final_yet(app, admin_client, clock):
    soup = page(admin_client.get("/dashboard"))
    assert soup.select_one("#delivery-week .rate").get_text() == "-"
    assert soup.select_one("#delivery-failures") is None


def test_the_gateway_page_shows_the_last_sync_and_a_102(app, admin_client, backend, clock):
    assert page(admin_client.get("/gateway")).select_one("#sync-never") is not None
    admin_client.post("/smssend", data=valid_send())
    backend.accounts["demo"].secure_key = "a-newer-key"
    sync(app)
    soup = page(admin_client.get("/gateway"))
    stopped = soup.select_one("#sync-stopped")
    assert stopped["data-stopped"] == "-102" and "-102" in stopped.get_text()
    body = admin_client.get("/gateway", headers={"Accept": "application/json"}).get_json()
    assert body["delivery_sync"]["stopped"] == "-102"


def test_the_api_gives_each_recipients_delivery_and_filters_by_it(app, client, clock):
    from tests.api_support import bearer, token_user

    token = token_user(app, "sender")
    sent = client.post("/api/v1/messages", headers=bearer(token), json={
        "from": DEMO_SENDERS[0], "to": ["010-2222-3333", "010-4444-0000"], "text": "안내"})
    assert sent.status_code == 201, sent.get_json()
    other = client.post("/api/v1/messages", headers=bearer(token), json={
        "from": DEMO_SENDERS[0], "to": ["010-5555-6666"], "text": "안내 2"})
    first, second = sent.get_json()["id"], other.get_json()["id"]
    detail = client.get(f"/api/v1/messages/{first}", headers=bearer(token)).get_json()
    assert [r["delivery"]["state"] for r in detail["to"]] == ["waiting", "waiting"]
    sync(app)
    detail = client.get(f"/api/v1/messages/{first}", headers=bearer(token)).get_json()
    by_phone = {r["phone"]: r["delivery"] for r in detail["to"]}
    assert by_phone["010-2222-3333"]["state"] == "delivered"
    failed = by_phone["010-4444-0000"]
    assert (failed["state"], failed["code"]) == ("failed", "3208")
    assert failed["refunded_at"] and failed["meaning"]
    listed = client.get("/api/v1/messages?delivery=failed", headers=bearer(token)).get_json()
    assert [item["id"] for item in listed["items"]] == [first]
    delivered = client.get("/api/v1/messages?delivery=delivered", headers=bearer(token))
    assert [item["id"] for item in delivered.get_json()["items"]] == [second, first]
    bad = client.get("/api/v1/messages?delivery=lost", headers=bearer(token))
    assert bad.status_code == 400


def test_recipients_with_the_same_outcome_are_written_in_runs_each_row_exactly(
        app, admin_client, clock):
    # Failures between deliveries: the delivered positions are runs with gaps.
    numbers = ["010-2222-3331", "010-2222-3332", "010-4444-0000", "010-2222-3334",
               "010-5555-9999", "010-2222-3336", "010-2222-3337", "010-6666-0000"]
    admin_client.post("/smssend", data=valid_send(rphone=",".join(numbers)))
    admin_client.post("/smssend", data=valid_send(rphone="010-7777-8888,010-7777-0000"))
    report = sync(app)
    assert (report.delivered, report.failed) == (6, 4)
    expected = {n.replace("-", ""): "failed" if n.endswith(("0000", "9999")) else "delivered"
                for n in [*numbers, "010-7777-8888", "010-7777-0000"]}
    assert states(app) == expected
    again = sync(app)  # nothing changed: nothing counted again
    assert (again.delivered, again.failed) == (0, 0)
    places = [(2, 1), (1, 4), (1, 0), (1, 1), (1, 3), (2, 0), (3, 5)]
    assert list(delivery._runs(places)) == [(1, 0, 1), (1, 3, 4), (2, 0, 1), (3, 5, 5)]  # noqa: SLF001


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(app, admin_client, clock, enabled):
    import gc

    admin_client.post("/smssend", data=valid_send())
    if not enabled:
        gc.disable()
    try:
        assert sync(app).matched == 1
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_sends_that_can_never_have_a_delivery_are_settled_and_left_out(
        app, admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(testflag="Y"))  # a test
    backend.accounts["demo"].senders = [DEMO_SENDERS[1]]  # the form's sender: now -114
    admin_client.post("/smssend", data=valid_send())  # refused
    backend.accounts["demo"].senders = list(DEMO_SENDERS)
    admin_client.post("/smssend", data=valid_send(rphone="010-3333-4444"))  # dies mid-call
    admin_client.post("/smssend", data=valid_send(rphone="010-5555-6666"))  # dies long ago
    test, refused, young, old = send_ids(app)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(update(_s).where(_s.c.id.in_([young, old]))
                           .values(result=Result.PENDING.value, cost=None))
        created = connection.execute(select(_s.c.created_at).where(_s.c.id == old)).scalar()
        connection.execute(update(_s).where(_s.c.id == old)
                           .values(created_at=created - timedelta(days=30)))
    sync(app)

    def done() -> dict[int, bool]:
        with app.app_context(), db.engine.connect() as connection:
            return {row.id: row.delivery_done_at is not None for row in connection.execute(
                select(_s.c.id, _s.c.delivery_done_at))}

    # The young unknown one may still show up in the list; the others never will.
    assert done() == {test: True, refused: True, young: False, old: True}
    assert [row.delivery for row in recipients(app)] == [None, None, None, None]
    with app.app_context():
        later = datetime.now(UTC) + sendlog.unknown_after() + timedelta(minutes=1)
    assert sync(app, now=later).resolved == 1  # the list still resolves the young one
    assert states(app)["01033334444"] == "delivered"


def test_the_syncs_look_ups_of_sends_read_the_open_sends_and_time_indexes(
        app, admin_client, clock):
    from sqlalchemy import event

    if db_dialect(app) != "sqlite":
        pytest.skip("SQLite's query plans")
    admin_client.post("/smssend", data=valid_send())
    plans: list[str] = []
    with app.app_context():
        def explain(conn, cursor, statement, params, context, executemany):
            if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE")) \
                    and " sends" in statement and "send_recipients" not in statement.split(
                        "WHERE")[0]:
                plans.append(" ".join(row[-1] for row in cursor.connection.execute(
                    "EXPLAIN QUERY PLAN " + statement, params)))
        event.listen(db.engine, "before_cursor_execute", explain)
        try:
            delivery.sync(windows=delivery.Windows(pace=0))
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
    assert plans and not [plan for plan in plans if "SCAN sends" in plan
                          and "ix_sends_delivery_open" not in plan]
    assert not [plan for plan in plans if "ix_sends_result_created" in plan]


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name
