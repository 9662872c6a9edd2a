"""The law's judge of a send (services/compliance.py): the advertising switch builds the text,
a text written as an advertisement is checked as written, the label's blocked variants are
refused with the right spelling, and the night rule refuses 21:00-08:00 Korea time for sends
now, reservations and every repeat. The clock is set by each test, never waited for."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from cafe24.calls import SendRequest
from cafe24.schedule import KST
from cafe24.text import Problem
from config import SettingsError, free_number, from_env
from smsform.services import compliance
from smsform.services.compliance import AdRules, gateway_code, judge, night_resumes

RULES = AdRules("스마일상사", "080-123-4567")
NAME_LINE = "(광고)스마일상사"
OPTOUT = "무료수신거부 080-123-4567"
DAY = datetime(2030, 3, 4, 12, 0, tzinfo=KST)  # a Monday noon


@pytest.fixture(autouse=True)
def no_database_step(monkeypatch):
    """These tests judge the label and the night rule without a database: the opt-out
    list's step (it reads the list) has its own tests (tests/test_optouts_send.py)."""
    monkeypatch.setattr(compliance, "STEPS", [compliance.label, compliance.night])


def at(hour: int, minute: int = 0, day: datetime = DAY) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=KST)


def request(msg: str, **kwargs) -> SendRequest:
    return SendRequest(msg=msg, sender="02-123-4567", recipients=("010-2222-3333",), **kwargs)


def codes(judged) -> list[str]:
    return [p.code for p in judged.problems]


# -- the switch builds the text ------------------------------------------------------------


def test_the_switch_writes_the_label_the_name_and_the_optout_line():
    judged = judge(request("  오늘만 50% 할인\n"), True, DAY, RULES)
    assert judged.ok and judged.advertising
    assert judged.request.text == f"{NAME_LINE}\n오늘만 50% 할인\n{OPTOUT}"


def test_the_built_text_is_what_the_kind_and_cost_count():
    # 90 bytes of text alone is an SMS; with the label, the name and the line it is an LMS.
    judged = judge(request("가" * 45), True, DAY, RULES)
    assert request("가" * 45).kind == "S"
    assert judged.request.kind == "L"
    assert judged.request.longest_length == 2 * 45 + len(NAME_LINE.encode("euc_kr")) \
        + len(OPTOUT.encode("euc_kr")) + 2


def test_without_the_switch_a_plain_text_is_left_alone():
    plain = request("주문하신 상품이 발송되었습니다")
    judged = judge(plain, False, at(23), RULES)
    assert judged.ok and not judged.advertising and judged.request is plain


def test_a_text_that_mentions_advertising_without_a_label_is_no_advertisement():
    judged = judge(request("광고 문의는 02-123-4567 (광고주 모집)"), False, at(23), RULES)
    assert judged.ok and not judged.advertising


def test_an_empty_text_with_the_switch_is_left_to_the_requests_own_judge():
    judged = judge(request("  \n"), True, DAY, RULES)
    assert judged.advertising and judged.ok
    assert [p.code for p in judged.request.problems()] == ["msg_empty"]


@pytest.mark.parametrize(("rules", "missing"), [
    (AdRules("", "080-123-4567"), ["SMSFORM_AD_SENDER_NAME"]),
    (AdRules("스마일상사", ""), ["SMSFORM_AD_OPTOUT_NUMBER"]),
    (AdRules("", ""), ["SMSFORM_AD_SENDER_NAME", "SMSFORM_AD_OPTOUT_NUMBER"]),
])
def test_without_the_settings_an_advertisement_is_refused_naming_them(rules, missing):
    for judged in (judge(request("할인"), True, DAY, rules),
                   judge(request(f"(광고)스마일상사\n할인\n{OPTOUT}"), False, DAY, rules)):
        assert codes(judged) == ["ad_setting_missing"] * len(missing)
        assert [p.params["setting"] for p in judged.problems] == missing


# -- a text written as an advertisement -------------------------------------------------------


@pytest.mark.parametrize("text", [
    f"{NAME_LINE}\n오늘만 50% 할인\n{OPTOUT}",
    "(광고) 스마일상사\n할인\n무료 수신거부: 080-1234-5678",
    "(광고)[스마일상사] 할인\n[무료수신거부] 0801235678",
    "(광고)스마일상사 할인 무료거부 080-123-4567",
])
def test_a_written_advertisement_with_name_and_line_passes_as_written(text):
    judged = judge(request(text), False, DAY, RULES)
    assert judged.ok and judged.advertising
    assert judged.request.msg == text  # checked, not rewritten


def test_the_switch_on_a_written_advertisement_checks_it_instead_of_labelling_twice():
    text = f"{NAME_LINE}\n할인\n{OPTOUT}"
    judged = judge(request(text), True, DAY, RULES)
    assert judged.ok and judged.request.msg == text


@pytest.mark.parametrize(("text", "expected"), [
    ("(광고) 오늘만 50% 할인", ["ad_sender_name_missing", "ad_optout_missing"]),
    ("(광고)스마일상사 오늘만 50% 할인", ["ad_optout_missing"]),
    (f"(광고) 오늘만 50% 할인\n{OPTOUT}", ["ad_sender_name_missing"]),
    (f"(광고)스마일상사 할인\n{OPTOUT}\n감사합니다", ["ad_optout_missing"]),  # not the end
    ("(광고)스마일상사 할인\n수신거부 080-123-4567", ["ad_optout_missing"]),  # not free
    ("(광고)스마일상사 할인\n무료수신거부 02-123-4567", ["ad_optout_missing"]),  # not 080
])
def test_a_written_advertisement_says_what_it_lacks(text, expected):
    judged = judge(request(text), False, DAY, RULES)
    assert judged.advertising
    assert codes(judged) == expected
    params = {p.code: p.params for p in judged.problems}
    if "ad_sender_name_missing" in params:
        assert params["ad_sender_name_missing"] == {"name": "스마일상사"}
    if "ad_optout_missing" in params:
        assert params["ad_optout_missing"] == {"line": OPTOUT}


@pytest.mark.parametrize("variant", [
    "(광 고)", "[광고]", "(광.고)", "(광/고)", '("광고")', "（광고）", "(광-고)", "( 광고 )",
    "【광고】", "<광고>", "(광ㆍ고)", "(“광고”)", "（광 고）",
])
@pytest.mark.parametrize("switch", [False, True])
def test_the_labels_blocked_variants_are_refused_with_the_right_spelling(variant, switch):
    judged = judge(request(f"{variant}스마일상사 할인\n{OPTOUT}"), switch, DAY, RULES)
    assert judged.advertising
    assert judged.problems == (Problem("msg", "ad_label_variant",
                                       {"written": variant, "right": "(광고)"}),)


def test_a_label_that_is_not_at_the_start_is_refused():
    judged = judge(request(f"안녕하세요 (광고)스마일상사 할인\n{OPTOUT}"), False, DAY, RULES)
    assert judged.problems == (Problem("msg", "ad_label_not_first",
                                       {"written": "안녕하세요", "right": "(광고)"}),)
    judged = judge(request(f"\n (광고)스마일상사 할인\n{OPTOUT}"), False, DAY, RULES)
    assert codes(judged) == ["ad_label_after_blank"]


# -- the night rule ------------------------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute", "refused"), [
    (20, 59, False), (21, 0, True), (7, 59, True), (8, 0, False),
    (23, 30, True), (0, 0, True), (12, 0, False),
])
def test_an_advertisement_sent_now_at_the_windows_edges(hour, minute, refused):
    judged = judge(request("할인"), True, at(hour, minute), RULES)
    assert codes(judged) == (["ad_night"] if refused else [])


def test_the_night_refusal_says_when_it_could_go_instead():
    [problem] = judge(request("할인"), True, at(21, 0), RULES).problems
    assert problem == Problem("advertising", "ad_night", {
        "at": "2030-03-04 21:00", "resume": "2030-03-05 08:00", "start": "21:00",
        "end": "08:00"})
    [problem] = judge(request("할인"), True, at(7, 59), RULES).problems
    assert problem.params["resume"] == "2030-03-04 08:00"


def test_a_non_advertisement_may_go_at_night():
    assert judge(request("배송이 시작되었습니다"), False, at(23), RULES).ok


@pytest.mark.parametrize(("hour", "minute", "refused"), [
    (20, 59, False), (21, 0, True), (7, 59, True), (8, 0, False)])
def test_a_reservation_at_the_windows_edges(hour, minute, refused):
    reserved = request("할인", reserve_at=at(hour, minute, DAY + timedelta(days=2)))
    judged = judge(reserved, True, DAY, RULES)  # judged at noon: only the reservation counts
    assert codes(judged) == (["ad_night"] if refused else [])
    if refused:
        assert judged.problems[0].field == "rtime"


def test_a_daytime_reservation_made_at_night_is_allowed():
    assert judge(request("할인", reserve_at=at(9, 0, DAY + timedelta(days=1))), True,
                 at(23, 0), RULES).ok


@pytest.mark.parametrize(("first", "count", "every", "refused_at"), [
    ((20, 0), 2, 59, None),  # 20:00, 20:59
    ((20, 0), 2, 60, "2030-03-06 21:00"),  # 20:00, 21:00
    ((19, 0), 3, 60, "2030-03-06 21:00"),  # the third
    ((8, 0), 10, 60, None),  # 08:00 ... 17:00
    ((6, 0), 2, 120, "2030-03-06 06:00"),  # the first itself
    ((20, 30), 2, 660, "2030-03-07 07:30"),  # 20:30, then 07:30 the next morning
])
def test_every_repeat_is_judged(first, count, every, refused_at):
    repeated = request("할인", reserve_at=at(*first, DAY + timedelta(days=2)),
                       repeat_num=count, repeat_minutes=every)
    judged = judge(repeated, True, DAY, RULES)
    if refused_at is None:
        assert judged.ok
    else:
        [problem] = judged.problems
        assert problem.params["at"] == refused_at


def test_a_repeat_of_an_immediate_send_falls_in_the_window():
    judged = judge(request("할인", repeat_num=2, repeat_minutes=90), True, at(20, 0), RULES)
    [problem] = judged.problems
    assert (problem.field, problem.params["at"]) == ("repeatNum", "2030-03-04 21:30")


def test_night_resumes_is_the_next_eight_oclock_for_a_bulk_schedule():
    assert night_resumes(at(20, 59)) is None
    assert night_resumes(at(21, 0)) == at(8, 0, DAY + timedelta(days=1))
    assert night_resumes(at(0, 1)) == at(8, 0)
    assert night_resumes(at(8, 0)) is None
    utc = at(22, 0).astimezone(datetime.now().astimezone().tzinfo)  # any zone: Korea time
    assert night_resumes(utc) == at(8, 0, DAY + timedelta(days=1))


def test_a_malformed_advertisement_at_night_is_told_both_at_once():
    assert codes(judge(request("(광 고) 할인"), False, at(23), RULES)) == [
        "ad_label_variant", "ad_night"]


# -- the gateway's codes, the steps, the settings --------------------------------------------


def test_the_relay_codes():
    night = judge(request("할인"), True, at(22), RULES).problems
    malformed = judge(request("(광고) 할인"), False, DAY, RULES).problems
    assert gateway_code(night) == "3224"
    assert gateway_code(malformed) == "0003"
    assert gateway_code([*night, *malformed]) == "0003"
    assert gateway_code([Problem("sphone", "no_sender"), *night]) == "-101"


def test_every_code_the_judge_reports_is_listed_with_a_gateway_code():
    assert set(compliance.PROBLEM_CODES) == set(compliance.GATEWAY_CODES)


def test_a_step_added_to_steps_runs_after_the_others(monkeypatch):
    seen = []

    def step(judged, context):
        seen.append((judged.advertising, context.switch))
        return judged

    monkeypatch.setattr(compliance, "STEPS", [*compliance.STEPS, step])
    judge(request("할인"), True, DAY, RULES)
    assert seen == [(True, True)]


def test_a_non_advertisement_reads_no_setting_and_no_clock(monkeypatch):
    class Untouchable(compliance.Context):
        @property
        def now(self):  # type: ignore[override]
            raise AssertionError("the clock was read")

        @property
        def rules(self):  # type: ignore[override]
            raise AssertionError("the settings were read")

    monkeypatch.setattr(compliance, "Context", Untouchable)
    assert judge(request("배송 안내: 광주 지점"), False).ok


@pytest.mark.parametrize(("raw", "number"), [
    ("080-123-4567", "080-123-4567"), ("0801234567", "080-123-4567"),
    ("080 1234 5678", "080-1234-5678"), ("080.123.4567", "080-123-4567"),
    ("02-123-4567", None), ("080-12-4567", None), ("1588-1234", None)])
def test_the_optout_number_must_be_a_free_number(raw, number):
    assert free_number(raw) == number


def test_the_settings_are_checked_when_the_app_starts(tmp_path):
    base = {"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}
    settings = from_env({**base, "SMSFORM_AD_SENDER_NAME": " 스마일상사 ",
                         "SMSFORM_AD_OPTOUT_NUMBER": "0801234567"}, tmp_path)
    assert (settings.ad_sender_name, settings.ad_optout_number) == ("스마일상사",
                                                                    "080-123-4567")
    for name, value in (("SMSFORM_AD_OPTOUT_NUMBER", "02-123-4567"),
                        ("SMSFORM_AD_SENDER_NAME", "😀상사"),
                        ("SMSFORM_AD_SENDER_NAME", "가" * 31)):
        with pytest.raises(SettingsError, match=name):
            from_env({**base, name: value}, tmp_path)
