"""Tests for cafe24.message: SMS or LMS, cost, the message's checks and the {name} merge."""

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafe24.message import (
    CREDIT_COST,
    LMS_LIMIT,
    SMS_LIMIT,
    SUBJECT_LIMIT,
    MergedMessage,
    check_merged_length,
    check_message,
    check_names,
    check_placeholder,
    credit_cost,
    longest_merge_length,
    longest_merged,
    merge_all,
    merge_name,
    message_kind,
    messages_bought,
    name_chars,
)
from cafe24.phone import MAX_RECIPIENTS, Recipient, parse_destination
from cafe24.text import Problem, euckr_length, unsupported_chars

CASES = json.loads(
    (Path(__file__).parent.parent / "cases" / "message_cases.json").read_text(encoding="utf-8")
)


def codes(problems: list[Problem]) -> list[str]:
    """Return the problem codes, in order."""
    return [p.code for p in problems]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- the shared byte-meter cases ---------------------------------------------


def test_cases_file_covers_the_boundaries():
    notes = {c["note"] for c in CASES}
    assert len(CASES) >= 20
    assert {c["kind"] for c in CASES} == {"S", "L"}
    assert any(c["bytes"] == SMS_LIMIT and c["kind"] == "S" for c in CASES)
    assert any(c["bytes"] == SMS_LIMIT + 1 and c["kind"] == "L" for c in CASES)
    assert any("\r\n" in c["text"] for c in CASES)
    assert any("똠" in c["unsupported"] for c in CASES)
    assert len(notes) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_byte_meter_case(case):
    assert euckr_length(case["text"]) == case["bytes"]
    assert message_kind(case["text"]) == case["kind"]
    assert unsupported_chars(case["text"]) == case["unsupported"]
    check = check_message(case["text"])
    assert (check.length, check.kind, check.unsupported) == (
        case["bytes"],
        case["kind"],
        case["unsupported"],
    )


def test_message_kind_forced_lms():
    assert message_kind("hi") == "S"
    assert message_kind("hi", lms=True) == "L"


@pytest.mark.parametrize(
    ("kind", "recipients", "cost"),
    [("S", 1, 1), ("S", 10, 10), ("L", 1, 3), ("L", 999, 2997), ("S", 0, 0)],
)
def test_credit_cost(kind, recipients, cost):
    assert credit_cost(kind, recipients) == cost
    assert CREDIT_COST == {"S": 1, "L": 3}


def test_credit_cost_unknown_kind():
    with pytest.raises(KeyError):
        credit_cost("M", 1)


# --- check_message ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("msg", "subject", "lms", "expected"),
    [
        ("안녕하세요", "", False, []),
        ("", "", False, ["msg_empty"]),
        ("  \r\n ", "", False, ["msg_empty"]),
        ("가" * 1000, "", False, []),
        ("가" * 1000 + "a", "", False, ["msg_too_long"]),
        ("hi 😀", "", False, ["unsupported_chars"]),
        ("똠방각하", "", False, ["unsupported_chars"]),
        ("안 됬어요", "", False, ["refused_char"]),
        ("됬다 😀", "", False, ["unsupported_chars", "refused_char"]),
        ("hi", "제" * 25, True, []),
        ("hi", "제" * 25 + "a", True, ["subject_too_long"]),
        ("hi", "제목😀", True, ["unsupported_chars"]),
        # a subject only matters for LMS
        ("hi", "제" * 40, False, []),
        # ... and a long message is an LMS even when not forced
        ("a" * 91, "제" * 40, False, ["subject_too_long"]),
    ],
)
def test_check_message_problems(msg, subject, lms, expected):
    assert codes(check_message(msg, subject, lms).problems) == expected


def test_check_message_fields_and_params():
    check = check_message("가" * 1006 + "a😀", subject="제" * 30, lms=True)
    assert not check.ok
    by_code = {p.code: p for p in check.problems}
    too_long = by_code["msg_too_long"]
    assert too_long.field == "msg"
    assert too_long.params == {"length": 2015, "limit": 2000}
    assert by_code["unsupported_chars"].params == {"chars": "😀", "count": 1}
    assert by_code["subject_too_long"].field == "subject"
    assert by_code["subject_too_long"].params == {"length": 60, "limit": 50, "hangul": 25}


def test_unsupported_message_lists_characters_space_separated():
    problem = check_message("😀 똠 😀").problems[0]
    assert (problem.code, problem.params) == ("unsupported_chars", {"chars": "😀 똠", "count": 2})


@pytest.mark.parametrize(
    ("msg", "lms", "kind", "limit"),
    [
        ("a" * 90, False, "S", SMS_LIMIT),
        ("a" * 91, False, "L", LMS_LIMIT),
        ("a", True, "L", LMS_LIMIT),
    ],
)
def test_check_message_kind_and_limit(msg, lms, kind, limit):
    check = check_message(msg, lms=lms)
    assert (check.kind, check.limit, check.ok) == (kind, limit, True)


def test_refused_char_is_still_reported_unsupported():
    check = check_message("됬")
    assert check.unsupported == ["됬"]
    assert [(p.field, p.code, p.params) for p in check.problems] == [
        ("msg", "refused_char", {"chars": "됬"})]


# --- {name} merge ------------------------------------------------------------------


def test_merge_name_replaces_every_placeholder():
    assert merge_name("{name}님, {name}님!", "홍길동") == "홍길동님, 홍길동님!"
    assert merge_name("안녕하세요", "홍길동") == "안녕하세요"
    assert merge_name("{Name} {name", "x") == "{Name} {name"


def test_merge_all_and_longest():
    people = [Recipient("010-1111-2222", "Kim"), Recipient("010-3333-4444", "남궁민수")]
    merged = merge_all("{name}님 안녕하세요", people)
    assert merged == [
        MergedMessage(people[0], "Kim님 안녕하세요", 3 + 2 + 1 + 10),
        MergedMessage(people[1], "남궁민수님 안녕하세요", 8 + 2 + 1 + 10),
    ]
    assert longest_merged("{name}님 안녕하세요", people) == merged[1]
    assert longest_merged("{name}", []) is None


def test_longest_merged_first_on_ties():
    people = [Recipient("010-1111-2222", "ab"), Recipient("010-3333-4444", "가")]
    assert longest_merged("{name}", people).recipient == people[0]


def test_merge_can_turn_sms_into_lms():
    msg = "a" * 80 + "{name}"
    people = [Recipient("010-1111-2222", "홍길동"), Recipient("010-3333-4444", "남궁민수님께")]
    assert message_kind(msg) == "S"
    assert message_kind(longest_merged(msg, people).text) == "L"


@pytest.mark.parametrize(
    ("msg", "named", "expected"),
    [
        ("{name}님", [Recipient("010-1111-2222", "홍길동")], []),
        (
            "{name}님",
            [Recipient("010-1111-2222", "홍길동"), Recipient("010-2222-3333")],
            [("name_placeholder_without_names", {"count": 1})],
        ),
        ("안녕하세요", [Recipient("010-2222-3333")], []),
        ("{name}님", None, [("name_placeholder_without_destination", {})]),
        ("안녕하세요", None, []),
        (nfd("{name}님"), None, [("name_placeholder_without_destination", {})]),
    ],
)
def test_check_placeholder(msg, named, expected):
    problems = check_placeholder(msg, named)
    assert [(p.code, p.params) for p in problems] == expected
    assert all(p.field == "msg" for p in problems)


def test_check_placeholder_counts_nameless():
    people = [
        Recipient("010-1111-2222"),
        Recipient("010-2222-3333", " "),
        Recipient("02-123-4567", "A"),
    ]
    (problem,) = check_placeholder("{name}", people)
    assert (problem.field, problem.params) == ("msg", {"count": 2})


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        ("{name}" + "가" * 995, [("msg", "msg_too_long", {"length": 2002, "limit": 2000})]),
        ("{name}" + "가" * 994, []),
        ("가" * 1001, []),  # the message alone is too long: check_message says so, once
    ],
)
def test_check_merged_length(msg, expected):
    problems = check_merged_length(msg, [Recipient("010-1111-2222", "남궁민수님께")])
    assert [(p.field, p.code, p.params) for p in problems] == expected


@given(st.text(), st.booleans())
def test_property_kind_follows_length(text, lms):
    kind = message_kind(text, lms)
    assert kind == ("L" if lms or euckr_length(text) > SMS_LIMIT else "S")


@given(st.text(max_size=50), st.lists(st.text(max_size=10), max_size=5))
def test_property_merge_lengths(msg, names):
    recipients = [Recipient(f"010-0000-{i:04d}", n) for i, n in enumerate(names)]
    merged = merge_all(msg, recipients)
    assert [m.length for m in merged] == [euckr_length(m.text) for m in merged]
    assert all("{name}" not in m.text or "{name}" in m.recipient.name for m in merged)
    longest = longest_merged(msg, recipients)
    length = longest_merge_length(msg, recipients)
    if not merged:
        assert longest is None and length is None
        return
    # Counted without merging: exact for every text that can be sent, and never less.
    assert length >= max(m.length for m in merged)
    if not any(unsupported_chars(m.text) for m in merged):
        assert longest == max(merged, key=lambda m: m.length)
        assert length == longest.length


def test_limits():
    assert (SMS_LIMIT, LMS_LIMIT, SUBJECT_LIMIT, MAX_RECIPIENTS) == (90, 2000, 50, 999)


def test_nfd_hangul_counts_and_checks_like_composed():
    text = nfd("안녕하세요 " * 9)  # 99 bytes composed, 279 decomposed
    assert euckr_length(text) == euckr_length("안녕하세요 " * 9) == 99
    assert unsupported_chars(text) == []
    check = check_message(nfd("한" * 45))
    assert (check.length, check.kind, check.ok) == (90, "S", True)


def test_nfd_refused_char_is_found():
    check = check_message(nfd("안 됬어요"))
    assert codes(check.problems) == ["refused_char"]
    assert check.unsupported == ["됬"]
    assert codes(check_message("hi", nfd("됬 제목 똠"), lms=True).problems) == ["unsupported_chars"]


def test_merge_and_destination_names_are_composed():
    assert merge_name(nfd("{name}님 안녕"), nfd("홍길동")) == "홍길동님 안녕"
    assert merge_name("\u1100{name}", "\u1161") == "가"  # composes across the placeholder
    parsed = parse_destination(nfd("010-1234-5678|홍길동\n010 2222 3333 김 철수"))
    assert [(r.phone, r.name) for r in parsed.recipients] == [
        ("010-1234-5678", "홍길동"), ("010-2222-3333", "김 철수")]
    merged = merge_all("{name}", parsed.recipients)
    assert [m.length for m in merged] == [6, 7]


# --- names are checked, every one of them -------------------------------------------------


def test_name_chars_lists_unsupported_and_refused_once():
    people = [Recipient("010-1111-2222", "홍길동"), Recipient("010-2222-3333", "똠이😀"),
              Recipient("010-3333-4444", "됬"), Recipient("010-4444-5555", nfd("됬😀"))]
    assert name_chars(people) == (["똠", "😀"], ["됬"])
    assert name_chars([Recipient("010-1111-2222", "Kim 철수")]) == ([], [])


def test_check_names_problems_name_the_characters():
    problems = check_names([Recipient("010-1111-2222", "똠😀"), Recipient("010-2222-3333", "됬")])
    assert [(p.field, p.code) for p in problems] == [
        ("destination", "name_unsupported_chars"), ("destination", "name_refused_char")]
    assert problems[0].params == {"chars": "똠 😀", "count": 2}
    assert problems[1].params == {"chars": "됬"}
    assert check_names([Recipient("010-1111-2222", "홍길동")]) == []


@pytest.mark.parametrize(
    "msg",
    [
        "안녕하세요",  # no {name}: names are still sent in destination
        "{name}님 " + "가" * 20,  # the bad name is in a shorter merge
    ],
)
def test_check_names_flags_every_name(msg):
    people = [Recipient("010-1111-2222", "남궁민수님께"), Recipient("010-2222-3333", "똠")]
    assert longest_merged(msg, people).recipient.name != "똠" or "{name}" not in msg
    assert codes(check_names(people)) == ["name_unsupported_chars"]
    people.append(Recipient("010-3333-4444", "됬"))
    assert codes(check_names(people)) == ["name_unsupported_chars", "name_refused_char"]



# --- control characters and one-line subjects ----------------------------------------------


@pytest.mark.parametrize(("msg", "subject", "expected"), [
    ("a\x00b", "", [Problem("msg", "control_chars", {"chars": "U+0000", "count": 1})]),
    ("a\x1b[31m\x7f\x1b", "", [Problem("msg", "control_chars",
                                        {"chars": "U+001B U+007F", "count": 2})]),
    ("one\r\ntwo\tthree\rfour", "", []),  # line breaks and tabs are text in a message
    ("x" * 100, "제목\nX-Injected: 1", [Problem("subject", "subject_line_break")]),
    ("x" * 100, "제목\r\n", [Problem("subject", "subject_line_break")]),
    ("x" * 100, "제목\t\x00", [Problem("subject", "control_chars",
                                       {"chars": "U+0009 U+0000", "count": 2})]),
    ("short", "sms\x00subject", [Problem("subject", "control_chars",
                                         {"chars": "U+0000", "count": 1})]),
])
def test_control_characters_and_subject_line_breaks_are_refused(msg, subject, expected):
    assert [p for p in check_message(msg, subject).problems
            if p.code in ("control_chars", "subject_line_break")] == expected


def test_control_characters_in_names_are_refused():
    named = (Recipient("010-2222-3333", "홍\x00길동"), Recipient("010-3333-4444", "a\x07\x00"))
    assert check_names(named) == [Problem("destination", "name_control_chars",
                                          {"chars": "U+0000 U+0007", "count": 2})]
    assert check_names((Recipient("010-2222-3333", "홍 길동"),)) == []


@pytest.mark.parametrize(("credits", "kind", "bought"), [
    (1000, "S", 1000), (1000, "L", 333), (2, "L", 0), (0, "S", 0)])
def test_messages_bought_is_whole_messages_of_a_kind(credits, kind, bought):
    assert messages_bought(credits, kind) == bought
