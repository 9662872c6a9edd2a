"""services.bulk_check: a list read by services.lists, judged against the message, grouped
into gateway calls and costed, before anything is sent; every way a list comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from cafe24.message import merge_name
from cafe24.schedule import KST
from cafe24.text import Problem
from simulator import DEMO_SENDERS
from smsform.extensions import db
from smsform.models import JobBatch, JobProblem, JobRecipient, utcnow
from smsform.services import bulk, bulk_check, gateway, lists, optouts
from smsform.services.audit import CLI_ACTOR
from smsform.services.bulk_check import Checked, Draft
from smsform.services.lists import ListReport, Row, RowProblem
from smsform.states import OptOutVia
from tests.bulk_support import ACTOR, phones
from tests.lists_support import XLS_FIXTURE, csv_bytes, xlsx
from tests.support import build_app, send_calls
from tests.test_compliance_edges import NAME, OPTOUT, OPTOUT_NUMBER

SENDER = DEMO_SENDERS[0]
#: Noon in Korea on a weekday: an advertisement may go.
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=KST)
TABLE = [("이름", "휴대폰", "지점"),
         ("홍길동", "010-1234-5678", "강남"),
         ("김철수", "010-1234-5679", "서초"),
         ("이영희", "010-1234-5680", "강남")]


@pytest.fixture
def app(backend) -> Flask:
    return build_app(backend, SMSFORM_AD_SENDER_NAME=NAME,
                     SMSFORM_AD_OPTOUT_NUMBER=OPTOUT_NUMBER, SMSFORM_CLOCK=lambda: NOON)


def run(app: Flask, report: ListReport, text: str = "{name}님 안내입니다", *,
        now: datetime = NOON, max_batch: int = 999, **draft) -> Checked:
    with app.app_context():
        return bulk_check.check(report, Draft(SENDER, text, **draft), now=now,
                                max_batch=max_batch)


def read(data: bytes, name: str = "list.csv", **choice) -> ListReport:
    return lists.read_file(data, name, choice=lists.Choice(**choice))


def sent(checked: Checked) -> list[tuple[int, str, str]]:
    """(batch, phone, the text as it arrives) of every planned recipient, in order."""
    return [(b.number, r.phone, merge_name(b.text, r.name) if b.named else b.text)
            for b in checked.batches for r in b.recipients]


def report_of(count: int, *, names: bool = True) -> ListReport:
    """A list of ``count`` different numbers as the reader gives it (rows from 2)."""
    rows = [Row(i + 2, phone, f"고객{i}" if names else "")
            for i, phone in enumerate(phones(count))]
    return ListReport("csv", rows, [], [], ["phone", "name"], "phone",
                      "name" if names else None, [], total=count)


# -- every way a list comes in, through to the check ---------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_each_encoding_and_delimiter_reaches_the_check(app, encoding, delimiter):
    data = csv_bytes(TABLE, encoding, delimiter)
    checked = run(app, read(data), "{name}님, {지점}점 안내")
    assert checked.report.delimiter == delimiter
    assert checked.report.encoding == {"cp949": "euc-kr"}.get(encoding, encoding)
    assert sent(checked) == [(1, "010-1234-5678", "홍길동님, 강남점 안내"),
                             (1, "010-1234-5680", "이영희님, 강남점 안내"),
                             (2, "010-1234-5679", "김철수님, 서초점 안내")]
    assert (checked.rows, checked.recipients, checked.calls) == (3, 3, 2)
    assert checked.batches[0].recipients[0].fields == {"지점": "강남"}
    assert checked.can_start


def test_an_xlsx_reaches_the_check(app):
    checked = run(app, read(xlsx(TABLE), "고객.xlsx"), "{name}님, {지점}점")
    assert checked.report.kind == "xlsx"
    assert [t for _, _, t in sent(checked)] == ["홍길동님, 강남점", "이영희님, 강남점",
                                              "김철수님, 서초점"]


def test_an_xls_reaches_the_check_with_its_row_report(app):
    checked = run(app, read(XLS_FIXTURE.read_bytes(), "old.xls"), "{이름}님 {메모} 혜택")
    assert checked.report.kind == "xls"
    assert sent(checked) == [(1, "010-1234-5678", "홍길동님 VIP 혜택"),
                             (2, "010-1234-5679", "김철수님 단골 혜택")]
    assert [(p.row, p.code) for p in checked.problems] == [(4, "invalid_phone"),
                                                           (5, "duplicate")]
    assert checked.batches[0].named  # {이름} is the name column: the gateway merges it
    assert checked.batches[0].text == "{name}님 VIP 혜택"


def test_a_paste_reaches_the_check(app):
    report = lists.read_paste("010-1234-5678\t홍길동\n01012345679\t김철수\n010-1234-5678\t또\n")
    checked = run(app, report)
    assert sent(checked) == [(1, "010-1234-5678", "홍길동님 안내입니다"),
                             (1, "010-1234-5679", "김철수님 안내입니다")]
    assert [(p.row, p.code, p.first_row) for p in checked.problems] == [(3, "duplicate", 1)]
    assert (checked.rows, checked.recipients, checked.duplicates) == (3, 2, 1)


def test_duplicates_are_dropped_the_first_row_kept_and_named(app):
    table = [*TABLE, ("홍길동2", "01012345678", "서초"), ("김", "010 1234 5679", "")]
    checked = run(app, read(csv_bytes(table)), "{name}님 안내")
    assert [r.row for b in checked.batches for r in b.recipients] == [2, 3, 4]
    assert [(p.row, p.code, p.first_row) for p in checked.problems] == [
        (5, "duplicate", 2), (6, "duplicate", 3)]
    assert (checked.duplicates, checked.refused) == (2, 0)


# -- each row's problems -----------------------------------------------------------------


def test_a_row_without_a_name_where_the_text_uses_name_is_left_out(app):
    table = [*TABLE, ("", "010-9999-0001", "강남")]
    checked = run(app, read(csv_bytes(table)), "{name}님 안내")
    assert [(p.row, p.value, p.code) for p in checked.problems] == [
        (5, "010-9999-0001", "no_name")]
    assert (checked.recipients, checked.refused) == (3, 1)
    # without {name}, the same row is sent
    assert run(app, read(csv_bytes(table)), "안내").recipients == 4


def test_the_reader_told_need_name_refuses_the_same_rows_once(app):
    table = [*TABLE, ("", "010-9999-0001", "강남")]
    checked = run(app, read(csv_bytes(table), need_name=True), "{name}님 안내")
    assert [(p.row, p.code) for p in checked.problems] == [(5, "no_name")]
    assert checked.refused == 1


def test_a_column_the_list_does_not_have_is_a_message_problem(app):
    checked = run(app, read(csv_bytes(TABLE)), "{name}님 {등급} 안내")
    assert [(p.code, p.params["field"]) for p in checked.message_problems] == [
        ("unknown_field", "등급")]
    assert checked.message_problems[0].params["columns"] == "이름, 휴대폰, 지점"
    assert not checked.can_start


def test_name_without_a_name_column_is_a_message_problem(app):
    report = read(csv_bytes([("휴대폰", "지점"), ("010-1234-5678", "강남")]))
    checked = run(app, report, "{name}님")
    assert [p.code for p in checked.message_problems] == ["no_name_column"]
    assert checked.problems == [] and not checked.can_start


def test_an_empty_value_of_a_merged_column_is_missing_field(app):
    table = [*TABLE, ("박", "010-9999-0001", "")]
    checked = run(app, read(csv_bytes(table)), "{지점}점 안내")
    assert [(p.row, p.value, p.code) for p in checked.problems] == [(5, "지점", "missing_field")]
    # a column the text does not use may be empty
    assert run(app, read(csv_bytes(table)), "안내").recipients == 4


def test_a_merged_text_over_the_lms_limit_is_left_out(app):
    table = [("이름", "휴대폰", "메모"), ("홍", "010-1234-5678", "가" * 990),
             ("김", "010-1234-5679", "가" * 1000)]
    checked = run(app, read(csv_bytes(table)), "{메모}")  # 1,980 and 2,000 bytes: fine
    assert checked.recipients == 2 and checked.lms == 2
    table[2] = ("김", "010-1234-5679", "가" * 1000 + "A")
    checked = run(app, read(csv_bytes(table)), "{메모}")
    assert [(p.row, p.code) for p in checked.problems] == [(3, "merged_too_long")]
    assert checked.refused == 1 and checked.can_start


def test_a_long_name_can_make_the_merge_too_long(app):
    rows = [Row(2, "010-1234-5678", "가" * 95), Row(3, "010-1234-5679", "김")]
    report = ListReport("csv", rows, [], [], ["phone", "name"], "phone", "name", [], total=2)
    checked = run(app, report, "{name}" * 10 + "가" * 50)  # 1,900 + 100 bytes; 20 + 100
    assert checked.recipients == 2
    checked = run(app, report, "{name}" * 10 + "가" * 51)
    assert [(p.row, p.code) for p in checked.problems] == [(2, "merged_too_long")]


def test_a_character_euc_kr_cannot_carry_in_a_merged_value_is_left_out(app):
    table = [*TABLE, ("박", "010-9999-0001", "강남😀"), ("최", "010-9999-0002", "됬다"),
             ("정", "010-9999-0003", "a\x07b")]
    checked = run(app, read(csv_bytes(table)), "{지점}점")
    assert [(p.row, p.value, p.code) for p in checked.problems] == [
        (5, "😀", "unsupported_chars"), (6, "됬", "unsupported_chars"),
        (7, "U+0007", "unsupported_chars")]
    assert checked.recipients == 3


def test_a_character_in_the_text_itself_is_a_message_problem(app):
    checked = run(app, read(csv_bytes(TABLE)), "안내 😀")
    assert [p.code for p in checked.message_problems] == ["unsupported_chars"]
    assert checked.problems == []


# -- opt-outs ----------------------------------------------------------------------------


def opt_out(app: Flask, *numbers: str) -> None:
    with app.app_context():
        for number in numbers:
            optouts.add(number, via=OptOutVia.CLI, by=CLI_ACTOR)


def test_an_advertisement_leaves_opted_out_numbers_out(app):
    opt_out(app, "010-1234-5679")
    checked = run(app, read(csv_bytes(TABLE)), "{name}님 오늘만 할인", advertising=True)
    assert [r.phone for b in checked.batches for r in b.recipients] == [
        "010-1234-5678", "010-1234-5680"]
    assert [(p.row, p.value, p.code) for p in checked.problems] == [
        (3, "010-1234-5679", "opted_out")]
    assert (checked.rows, checked.recipients, checked.refused, checked.opted_out) == (
        3, 2, 0, 1)
    assert checked.draft.text == f"(광고){NAME}\n{{name}}님 오늘만 할인\n{OPTOUT}"
    assert checked.draft.advertising and checked.can_start
    assert checked.previews[0] == ("010-1234-5678",
                                   f"(광고){NAME}\n홍길동님 오늘만 할인\n{OPTOUT}")


def test_a_notice_goes_to_opted_out_numbers_and_counts_them(app):
    opt_out(app, "010-1234-5679", "010-1234-5680")
    checked = run(app, read(csv_bytes(TABLE)), "{name}님 점검 안내")
    assert checked.recipients == 3 and checked.opted_out == 2
    assert checked.problems == [] and not checked.draft.advertising


def test_a_text_written_as_an_advertisement_is_one_without_the_switch(app):
    opt_out(app, "010-1234-5679")
    checked = run(app, read(csv_bytes(TABLE)), f"(광고){NAME}\n할인\n{OPTOUT}")
    assert checked.draft.advertising and checked.recipients == 2


def test_the_opt_out_list_is_asked_for_every_number_of_a_big_list(app):
    numbers = phones(2500)
    opt_out(app, numbers[0], numbers[1200], numbers[2499])
    checked = run(app, report_of(2500), "{name}님 할인", advertising=True)
    assert checked.opted_out == 3 and checked.recipients == 2497
    assert [p.row for p in checked.problems] == [2, 1202, 2501]


# -- grouping, batches and kinds ---------------------------------------------------------


def test_app_merged_texts_are_grouped_into_batches_by_text(app):
    checked = run(app, read(csv_bytes(TABLE)), "{지점}점 공지")
    assert [(b.number, b.text, [r.row for r in b.recipients]) for b in checked.batches] == [
        (1, "강남점 공지", [2, 4]), (2, "서초점 공지", [3])]
    assert not any(b.named for b in checked.batches)
    same = run(app, read(csv_bytes(TABLE)), "{name}님 공지")
    assert [(b.text, len(b.recipients)) for b in same.batches] == [("{name}님 공지", 3)]
    assert same.batches[0].named and same.batches[0].recipients[0].fields is None


def test_the_phone_column_can_be_merged_and_makes_a_text_each(app):
    checked = run(app, read(csv_bytes(TABLE)), "{휴대폰} 번호로 가입하셨습니다")
    assert [(b.text, len(b.recipients)) for b in checked.batches] == [
        ("010-1234-5678 번호로 가입하셨습니다", 1), ("010-1234-5679 번호로 가입하셨습니다", 1),
        ("010-1234-5680 번호로 가입하셨습니다", 1)]
    assert checked.batches[0].recipients[0].fields == {"휴대폰": "010-1234-5678"}


@pytest.mark.parametrize(("count", "calls"), [(998, 1), (999, 1), (1000, 2), (1001, 2),
                                              (1999, 3), (2000, 3)])
def test_batches_hold_at_most_999_each_number_once_and_none_missing(app, count, calls):
    checked = run(app, report_of(count))
    numbers = [r.phone for b in checked.batches for r in b.recipients]
    assert checked.calls == len(checked.batches) == calls
    assert all(len(b.recipients) <= 999 for b in checked.batches)
    assert [b.number for b in checked.batches] == list(range(1, calls + 1))
    assert sorted(numbers) == sorted(phones(count)) and len(set(numbers)) == count
    assert [len(b.recipients) for b in checked.batches][:-1] == [999] * (calls - 1)
    assert checked.recipients == count and checked.forecast == count


def test_groups_are_split_each_on_its_own_at_max_batch(app):
    rows = [Row(i + 2, phone, "", (("A", "B")[i % 2],)) for i, phone in
            enumerate(phones(7))]
    report = ListReport("csv", rows, [], [], ["phone", "반"], "phone", None, ["반"],
                        total=7)
    checked = run(app, report, "{반}반", max_batch=3)
    assert [(b.text, len(b.recipients)) for b in checked.batches] == [
        ("A반", 3), ("A반", 1), ("B반", 3)]
    assert [r.row for b in checked.batches for r in b.recipients] == [2, 4, 6, 8, 3, 5, 7]


def test_the_kind_is_each_merge_s_own(app):
    rows = [Row(2, "010-1234-5678", "김"), Row(3, "010-1234-5679", "가" * 40),
            Row(4, "010-1234-5680", "이")]
    report = ListReport("csv", rows, [], [], ["phone", "name"], "phone", "name", [], total=3)
    text = "{name}님 " + "가" * 40  # 83 bytes + the name: 85 and 163
    checked = run(app, report, text, subject="안내")
    assert [(b.kind, b.subject, [r.row for r in b.recipients]) for b in checked.batches] == [
        ("S", "", [2, 4]), ("L", "안내", [3])]
    assert (checked.sms, checked.lms, checked.forecast) == (2, 1, 2 + 3)
    forced = run(app, report, text, kind="L")
    assert [(b.kind, len(b.recipients)) for b in forced.batches] == [("L", 3)]
    assert forced.forecast == 9


def test_a_forced_sms_that_a_merge_does_not_fit_is_a_message_problem(app):
    rows = [Row(2, "010-1234-5678", "김"), Row(3, "010-1234-5679", "가" * 40)]
    report = ListReport("csv", rows, [], [], ["phone", "name"], "phone", "name", [], total=2)
    checked = run(app, report, "{name}님 " + "가" * 40, kind="S")
    assert [(p.code, p.params) for p in checked.message_problems] == [
        ("sms_too_long", {"count": 1, "length": 163, "limit": 90})]
    assert not checked.can_start
    assert run(app, report, "{name}님", kind="S").can_start


def test_app_merged_values_can_change_the_kind(app):
    table = [("휴대폰", "메모"), ("010-1234-5678", "짧음"), ("010-1234-5679", "길" * 60)]
    checked = run(app, read(csv_bytes(table)), "{메모}")
    assert [(b.kind, b.text[:2]) for b in checked.batches] == [("S", "짧음"), ("L", "길길")]


# -- cost and credit ---------------------------------------------------------------------


def test_the_forecast_against_the_credit_last_known(app):
    report = report_of(1000)
    checked = run(app, report)
    assert (checked.forecast, checked.credit, checked.shortfall) == (1000, None, None)
    with app.app_context():
        gateway.gateway().last_credit = (utcnow(), 600)
    checked = run(app, report)
    assert (checked.credit, checked.shortfall, checked.can_start) == (600, 400, False)
    assert [b.forecast for b in checked.batches] == [999, 1]
    with app.app_context():
        gateway.gateway().last_credit = (utcnow(), 1000)
    assert run(app, report).shortfall is None


def test_a_test_run_costs_nothing(app):
    with app.app_context():
        gateway.gateway().last_credit = (utcnow(), 1)
    checked = run(app, report_of(50), test=True)
    assert (checked.forecast, checked.shortfall, checked.can_start) == (0, None, True)
    assert {b.forecast for b in checked.batches} == {0}


# -- the draft's own rules ---------------------------------------------------------------


def test_an_advertisement_scheduled_at_night_is_refused_saying_when_it_may_go(app):
    night = datetime(2026, 12, 8, 22, 30, tzinfo=KST).astimezone(UTC).replace(tzinfo=None)
    checked = run(app, read(csv_bytes(TABLE)), "할인", advertising=True, send_at=night)
    (problem,) = checked.message_problems
    assert problem.code == "ad_night"
    assert (problem.params["at"], problem.params["resume"]) == ("2026-12-08 22:30",
                                                                 "2026-12-09 08:00")
    assert not checked.can_start
    morning = night + timedelta(hours=10)
    assert run(app, read(csv_bytes(TABLE)), "할인", advertising=True,
               send_at=morning).can_start
    # a notice may go at night
    assert run(app, read(csv_bytes(TABLE)), "공지", send_at=night).can_start


def test_an_advertisement_checked_at_night_to_go_now_is_refused(app):
    late = datetime(2026, 12, 8, 23, 0, tzinfo=KST)
    checked = run(app, read(csv_bytes(TABLE)), "할인", advertising=True, now=late)
    assert [p.code for p in checked.message_problems] == ["ad_night"]


@pytest.mark.parametrize(("draft", "codes"), [
    ({"sender": ""}, ["no_sender"]),
    ({"sender": "12"}, ["invalid_sender"]),
    ({"text": "  "}, ["msg_empty"]),
    ({"text": "가" * 1001}, ["msg_too_long"]),
    ({"text": "안내", "kind": "L", "subject": "가" * 26}, ["subject_too_long"]),
    ({"send_at": NOON.astimezone(UTC).replace(tzinfo=None) + timedelta(minutes=5)},
     ["reservation_too_soon"]),
    ({"send_at": NOON.astimezone(UTC).replace(tzinfo=None) - timedelta(days=1)},
     ["reservation_too_soon"]),
])
def test_the_draft_is_judged_by_the_gateway_library(app, draft, codes):
    values = {"sender": SENDER, "text": "안내", **draft}
    with app.app_context():
        checked = bulk_check.check(read(csv_bytes(TABLE)), Draft(**values), now=NOON)
    assert [p.code for p in checked.message_problems] == codes
    assert not checked.can_start


def test_an_advertisement_without_its_settings_cannot_start(backend):
    app = build_app(backend, SMSFORM_CLOCK=lambda: NOON)
    checked = run(app, read(csv_bytes(TABLE)), "할인", advertising=True)
    assert {p.code for p in checked.message_problems} == {"ad_setting_missing"}


def test_previews_are_the_first_five_as_they_will_arrive(app):
    checked = run(app, report_of(8), "{name}님 안녕하세요")
    assert checked.previews == [(phone, f"고객{i}님 안녕하세요")
                                for i, phone in enumerate(phones(5))]


# -- the job service takes it ------------------------------------------------------------


def test_a_checked_list_becomes_a_job_as_checked(app):
    table = [*TABLE, ("", "010-9999-0001", "강남"), ("박", "없음", "강남")]
    checked = run(app, read(csv_bytes(table)), "{name}님 {지점}점")
    with app.app_context():
        job_id = bulk.create(checked, ACTOR, source="cli")
        batches = db.session.execute(select(JobBatch.number, JobBatch.text, JobBatch.named)
                                     .where(JobBatch.job_id == job_id)
                                     .order_by(JobBatch.number)).all()
        recipients = db.session.execute(select(JobRecipient.batch, JobRecipient.row,
                                               JobRecipient.fields)
                                        .order_by(JobRecipient.position)).all()
        problems = db.session.execute(select(JobProblem.row, JobProblem.code)
                                      .order_by(JobProblem.row)).all()
    assert [tuple(b) for b in batches] == [(1, "{name}님 강남점", True),
                                           (2, "{name}님 서초점", True)]
    assert [tuple(r) for r in recipients] == [(1, 2, '{"지점": "강남"}'),
                                              (1, 4, '{"지점": "강남"}'),
                                              (2, 3, '{"지점": "서초"}')]
    assert [tuple(p) for p in problems] == [(5, "no_name"), (6, "invalid_phone")]


def test_the_check_calls_no_gateway(app, backend):
    run(app, report_of(1500))
    assert send_calls(backend) == []


# -- the words ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_code_of_the_check_has_words(app, lang):
    from flask_babel import force_locale

    from smsform import messages
    problems = [Problem("msg", "unknown_field", {"field": "등급", "columns": "이름, 휴대폰"}),
                Problem("msg", "no_name_column"),
                Problem("smsType", "sms_too_long", {"count": 1200, "length": 163,
                                                    "limit": 90})]
    with app.test_request_context(), force_locale(lang):
        rows = [messages.job_problem_text(RowProblem(2, "x", code))
                for code in bulk_check.ROW_CODES]
        sentences = [messages.check_problem_text(p) for p in problems]
        # the generic words know them too: the API and the CLI word them so
        assert rows == [messages.row_problem_text(RowProblem(2, "x", code))
                        for code in bulk_check.ROW_CODES]
        assert sentences == [messages.problem_text(p) for p in problems]
        assert sentences == [messages.api_problem_text(p) for p in problems]
        night = messages.check_problem_text(Problem("rtime", "ad_night", {
            "at": "2026-12-08 22:30", "resume": "2026-12-09 08:00", "start": "21:00",
            "end": "08:00"}))
    assert all(text and text not in bulk_check.ROW_CODES for text in rows)
    assert len(set(rows)) == len(rows)
    assert "등급" in sentences[0] and "1,200" in sentences[2] and "163" in sentences[2]
    assert "2026-12-09 08:00" in night
    if lang == "ko":
        assert all(any("\uac00" <= ch <= "\ud7a3" for ch in text)
                   for text in [*rows, *sentences])
    assert {p.code for p in problems} == set(bulk_check.MESSAGE_CODES)


def test_what_the_check_planned_is_what_the_gateway_gets(app, backend):
    """A CP949 list through the check, the job and the worker: each batch's text and kind
    as the check said, names through destination, the opted-out number never called."""
    backend.accounts["demo"].credits = 1000
    table = [*TABLE, ("박민수", "010-1234-5681", "서초"), ("최", "010-1234-5682", "강남")]
    opt_out(app, "010-1234-5682")
    checked = run(app, read(csv_bytes(table, "cp949")), "{name}님, {지점}점 할인 안내",
                  advertising=True)
    assert checked.can_start and checked.opted_out == 1
    with app.app_context():
        job_id = bulk.create(checked, ACTOR, source="cli")
        bulk.start(job_id, None, "cli")
        bulk.run(job_id, "w1")
    calls = send_calls(backend)
    assert [(c.fields["msg"], c.fields["smsType"], c.fields["destination"])
            for c in calls] == [
        (b.text, b.kind, ",".join(f"{r.phone}|{r.name}" for r in b.recipients))
        for b in checked.batches]
    assert [b.text for b in checked.batches] == [
        f"(광고){NAME}\n{{name}}님, 강남점 할인 안내\n{OPTOUT}",
        f"(광고){NAME}\n{{name}}님, 서초점 할인 안내\n{OPTOUT}"]
    assert "010-1234-5682" not in "".join(c.fields["destination"] for c in calls)


# -- the garbage collector ---------------------------------------------------------------


def test_the_collector_is_paused_while_a_list_is_read_and_checked_and_runs_again(
        app, monkeypatch):
    import gc
    import threading

    seen = []

    def spy(real):
        def step(*args, **kwargs):
            seen.append((real.__name__, gc.isenabled()))
            return real(*args, **kwargs)
        return step

    assert gc.isenabled()
    monkeypatch.setattr(lists, "_judge", spy(lists._judge))
    monkeypatch.setattr(bulk_check, "_plan", spy(bulk_check._plan))
    run(app, read(csv_bytes(TABLE)))
    assert seen == [("_judge", False), ("_plan", False)] and gc.isenabled()
    # nested and concurrent pauses share one: the collector runs again after the last
    entered, outer_may_end = threading.Event(), threading.Event()

    def other():
        with lists.paused_gc():
            entered.set()
            outer_may_end.wait(5)

    thread = threading.Thread(target=other)
    with lists.paused_gc():
        thread.start()
        with lists.paused_gc():
            assert not gc.isenabled()
        assert entered.wait(5)
    assert not gc.isenabled()  # the other thread still holds it
    outer_may_end.set()
    thread.join(5)
    assert gc.isenabled()
    # a collector switched off before stays off
    gc.disable()
    try:
        with lists.paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
