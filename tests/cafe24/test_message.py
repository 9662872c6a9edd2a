"""Tests for cafe24.message: bytes, kinds, phone numbers, recipients, merge, schedule."""

import json
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafe24 import message
from cafe24.message import (
    CREDIT_COST,
    KST,
    LMS_LIMIT,
    MAX_RECIPIENTS,
    SMS_LIMIT,
    SUBJECT_LIMIT,
    MergedMessage,
    Problem,
    Recipient,
    check_merge,
    check_message,
    check_names,
    check_repeat,
    check_reservation,
    credit_cost,
    euckr_length,
    format_destination,
    format_reservation,
    format_rphone,
    is_mobile,
    longest_merged,
    merge_all,
    merge_name,
    message_kind,
    name_chars,
    normalize_newlines,
    normalize_phone,
    normalize_text,
    parse_destination,
    parse_recipients,
    parse_reservation,
    split_sender,
    unsupported_chars,
)

CASES = json.loads(
    (Path(__file__).parent.parent / "cases" / "message_cases.json").read_text(encoding="utf-8")
)


def codes(problems: list[Problem]) -> list[str]:
    """Return the problem codes, in order."""
    return [p.code for p in problems]


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


# --- newlines, bytes, kind and cost --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\nb", "a\nb"),
        ("a\r\r\nb", "a\n\nb"),
        ("\r\n\r\n", "\n\n"),
        ("no newline", "no newline"),
    ],
)
def test_normalize_newlines(raw, expected):
    assert normalize_newlines(raw) == expected


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


def test_check_message_fields_and_texts():
    check = check_message("가" * 1006 + "a😀", subject="제" * 30, lms=True)
    assert not check.ok
    by_code = {p.code: p for p in check.problems}
    too_long = by_code["msg_too_long"]
    assert too_long.field == "msg"
    assert too_long.ko == "메시지가 너무 깁니다: 2,015바이트 / 최대 2,000바이트"
    assert "2,015 bytes" in too_long.en
    assert by_code["unsupported_chars"].ko == "EUC-KR로 보낼 수 없는 문자가 있습니다: 😀"
    assert by_code["subject_too_long"].field == "subject"
    assert "60바이트" in by_code["subject_too_long"].ko


def test_unsupported_message_lists_characters_space_separated():
    problem = check_message("😀 똠 😀").problems[0]
    assert problem.ko == "EUC-KR로 보낼 수 없는 문자가 있습니다: 😀 똠"
    assert problem.en.endswith("😀 똠")


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
    assert check.problems[0].field == "msg"
    assert "-202" in check.problems[0].en and "됐" in check.problems[0].ko


# --- phone numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-1234-5678", "010-1234-5678"),
        ("01012345678", "010-1234-5678"),
        ("010 1234 5678", "010-1234-5678"),
        ("010.1234.5678", "010-1234-5678"),
        ("(010) 1234-5678", "010-1234-5678"),
        ("  010-1234-5678  ", "010-1234-5678"),
        ("+82 10-1234-5678", "010-1234-5678"),
        ("+82-10-1234-5678", "010-1234-5678"),
        ("821012345678", "010-1234-5678"),
        ("+82 (0)10-1234-5678", "010-1234-5678"),
        ("0111234567", "011-123-4567"),
        ("01112345678", "011-1234-5678"),
        ("016-123-4567", "016-123-4567"),
        ("019-1234-5678", "019-1234-5678"),
        ("021234567", "02-123-4567"),
        ("0212345678", "02-1234-5678"),
        ("+82 2 123 4567", "02-123-4567"),
        ("031-123-4567", "031-123-4567"),
        ("0331234567", "033-123-4567"),
        ("044-1234-5678", "044-1234-5678"),
        ("051-123-4567", "051-123-4567"),
        ("0551234567", "055-123-4567"),
        ("064-123-4567", "064-123-4567"),
        ("07012345678", "070-1234-5678"),
        ("050512345678", "0505-1234-5678"),
        ("0502-1234-5678", "0502-1234-5678"),
        ("0508-1234-5678", "0508-1234-5678"),
        ("15881234", "1588-1234"),
        ("1644-1234", "1644-1234"),
        ("1800 1234", "1800-1234"),
        ("080-123-4567", "080-123-4567"),  # toll-free, often a sender number
        ("0801234567", "080-123-4567"),
        # invalid
        ("", None),
        ("   ", None),
        ("abc", None),
        ("010-1234-567", None),  # 010 needs 8 digits
        ("010-123-4567", None),
        ("010123456789", None),
        ("011-12-3456", None),
        ("02-12-3456", None),
        ("02-12345-6789", None),
        ("034-123-4567", None),  # no such area code
        ("045-123-4567", None),
        ("056-123-4567", None),
        ("065-123-4567", None),
        ("070-123-4567", None),  # 070 needs 8 digits
        ("080-1234-5678", None),  # 080 has 7 digits after the prefix
        ("0501-1234-5678", None),
        ("0509-1234-5678", None),
        ("0505-123-4567", None),
        ("1588-123", None),
        ("1700-1234", None),
        ("010-1234-5678x", None),
        ("010/1234/5678", None),
        ("+1 010 1234 5678", None),
        ("０１０-１２３４-５６７８", None),  # full-width digits are not accepted silently
        ("82", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("number", "parts"),
    [
        ("010-1234-5678", ("010", "1234", "5678")),
        ("02-123-4567", ("02", "123", "4567")),
        ("0505-1234-5678", ("0505", "1234", "5678")),
        ("1588-1234", ("1588", "1234")),
        ("01012345678", ("010", "1234", "5678")),
    ],
)
def test_split_sender(number, parts):
    assert split_sender(number) == parts


@pytest.mark.parametrize("number", ["", "1234", "010-123", "hello"])
def test_split_sender_rejects_invalid(number):
    with pytest.raises(ValueError, match="not a valid"):
        split_sender(number)


@pytest.mark.parametrize(
    ("number", "mobile"),
    [
        ("010-1234-5678", True),
        ("011-123-4567", True),
        ("019-1234-5678", True),
        ("02-123-4567", False),
        ("070-1234-5678", False),
        ("1588-1234", False),
        ("0505-1234-5678", False),
        ("nonsense", False),
    ],
)
def test_is_mobile(number, mobile):
    assert is_mobile(number) is mobile


# --- recipients --------------------------------------------------------------------


def test_parse_recipients_separators_and_order():
    text = "010-1111-2222, 01033334444;02-123-4567\n070 1234 5678\t1588-1234  0111234567\r\n"
    result = parse_recipients(text)
    assert result.phones == [
        "010-1111-2222",
        "010-3333-4444",
        "02-123-4567",
        "070-1234-5678",
        "1588-1234",
        "011-123-4567",
    ]
    assert result.recipients[0] == Recipient("010-1111-2222", "")
    assert (result.duplicates, result.invalid, result.problems) == ([], [], [])


def test_parse_recipients_duplicates_and_invalid():
    text = "010-1111-2222, 01011112222, 12345, 010 1111 2222, abc, 12345, 02-123-4567, 021234567"
    result = parse_recipients(text)
    assert result.phones == ["010-1111-2222", "02-123-4567"]
    assert result.duplicates == ["010-1111-2222", "02-123-4567"]
    assert result.invalid == ["12345", "abc"]
    assert codes(result.problems) == ["invalid_phone"]
    problem = result.problems[0]
    assert problem.field == "rphone"
    assert problem.ko == "올바르지 않은 전화번호가 있습니다: 12345, abc"


@pytest.mark.parametrize(
    ("text", "phones", "invalid"),
    [
        (
            "010-1111-2222 010-3333-4444   1588-1234",
            ["010-1111-2222", "010-3333-4444", "1588-1234"],
            [],
        ),
        ("010 1111 2222 02 123 4567 1588 1234", ["010-1111-2222", "02-123-4567", "1588-1234"], []),
        ("+82 10 1111 2222 +82 (0)2 123 4567", ["010-1111-2222", "02-123-4567"], []),
        ("010 1111 222 02 123 4567", ["02-123-4567"], ["010 1111 222"]),
        ("abc 010-1111-2222 12 34", ["010-1111-2222"], ["abc", "12 34"]),
    ],
)
def test_parse_recipients_numbers_typed_with_spaces(text, phones, invalid):
    result = parse_recipients(text)
    assert (result.phones, result.invalid) == (phones, invalid)


@pytest.mark.parametrize("text", ["", "  ", ",,;\n\t"])
def test_parse_recipients_empty(text):
    result = parse_recipients(text, field="numbers")
    assert result.recipients == []
    assert [(p.field, p.code) for p in result.problems] == [("numbers", "no_recipients")]


def _numbers(count: int) -> list[str]:
    """Return count distinct valid mobile numbers."""
    return [f"010-{i // 10000 + 1000:04d}-{i % 10000:04d}" for i in range(count)]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(MAX_RECIPIENTS, []), (MAX_RECIPIENTS + 1, ["too_many_recipients"])],
)
def test_parse_recipients_limit(count, expected):
    result = parse_recipients(",".join(_numbers(count)))
    assert len(result.recipients) == count
    assert codes(result.problems) == expected
    if expected:
        assert "1,000명" in result.problems[0].ko


def test_parse_recipients_limit_counts_unique_numbers():
    numbers = _numbers(MAX_RECIPIENTS)
    result = parse_recipients(",".join(numbers + numbers[:5]))
    assert result.problems == []
    assert len(result.duplicates) == 5


def test_parse_destination():
    text = (
        "010-1234-5678|홍길동,01022223333|김철수\n"
        "02-123-4567| 이 영희 \r\n"
        "070-1234-5678|\n"
        "0111234567\n"
        "1588-1234\tACME Corp\n"
        "010 5555 6666 박 지성\n"
        "010-7777-8888 3반 담임\n"
    )
    result = parse_destination(text)
    assert result.recipients == [
        Recipient("010-1234-5678", "홍길동"),
        Recipient("010-2222-3333", "김철수"),
        Recipient("02-123-4567", "이 영희"),
        Recipient("070-1234-5678", ""),
        Recipient("011-123-4567", ""),
        Recipient("1588-1234", "ACME Corp"),
        Recipient("010-5555-6666", "박 지성"),
        Recipient("010-7777-8888", "3반 담임"),
    ]
    assert result.problems == []


def test_parse_destination_duplicates_keep_first_name_and_report_invalid():
    result = parse_destination("010-1234-5678|홍길동,010-1234-5678|다른이름,999|누구,홍길동")
    assert result.recipients == [Recipient("010-1234-5678", "홍길동")]
    assert result.duplicates == ["010-1234-5678"]
    assert result.invalid == ["999|누구", "홍길동"]
    assert [(p.field, p.code) for p in result.problems] == [("destination", "invalid_phone")]


def test_parse_destination_empty():
    assert codes(parse_destination(" \n, ").problems) == ["no_recipients"]


def test_format_fields():
    recipients = [Recipient("010-1234-5678", "홍길동"), Recipient("010-2222-3333", "김철수")]
    assert format_destination(recipients) == "010-1234-5678|홍길동,010-2222-3333|김철수"
    assert format_rphone(recipients) == "010-1234-5678,010-2222-3333"
    assert format_destination([Recipient("02-123-4567")]) == "02-123-4567|"


def test_format_destination_cannot_break_the_field():
    text = format_destination([Recipient("010-1234-5678", "Kim, J.|VIP")])
    assert text == "010-1234-5678|Kim J. VIP"
    assert parse_destination(text).recipients == [Recipient("010-1234-5678", "Kim J. VIP")]


def test_destination_round_trip():
    recipients = [Recipient("010-1234-5678", "홍길동"), Recipient("02-123-4567", "")]
    assert parse_destination(format_destination(recipients)).recipients == recipients
    assert parse_recipients(format_rphone(recipients)).phones == ["010-1234-5678", "02-123-4567"]


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
    ("msg", "recipients", "expected"),
    [
        ("{name}님", [Recipient("010-1111-2222", "홍길동")], []),
        (
            "{name}님",
            [Recipient("010-1111-2222", "홍길동"), Recipient("010-2222-3333")],
            ["name_placeholder_without_names"],
        ),
        ("안녕하세요", [Recipient("010-2222-3333")], []),
        ("{name}" + "가" * 995, [Recipient("010-1111-2222", "남궁민수님께")], ["msg_too_long"]),
        ("{name}" + "가" * 994, [Recipient("010-1111-2222", "남궁민수님께")], []),
    ],
)
def test_check_merge(msg, recipients, expected):
    assert codes(check_merge(msg, recipients)) == expected


def test_check_merge_counts_nameless():
    people = [
        Recipient("010-1111-2222"),
        Recipient("010-2222-3333", " "),
        Recipient("02-123-4567", "A"),
    ]
    problem = check_merge("{name}", people)[0]
    assert problem.field == "msg"
    assert "2명" in problem.ko


# --- reservation ---------------------------------------------------------------------

NOW = datetime(2025, 3, 14, 9, 0, 0, tzinfo=KST)


@pytest.mark.parametrize(
    ("rdate", "rtime", "expected"),
    [
        ("20250314", "091500", datetime(2025, 3, 14, 9, 15, tzinfo=KST)),
        ("2025-03-14", "09:15", datetime(2025, 3, 14, 9, 15, tzinfo=KST)),
        ("2025-03-14", "09:15:30", datetime(2025, 3, 14, 9, 15, 30, tzinfo=KST)),
        (" 20251231 ", " 235959 ", datetime(2025, 12, 31, 23, 59, 59, tzinfo=KST)),
        ("", "", None),
        ("  ", "", None),
    ],
)
def test_parse_reservation(rdate, rtime, expected):
    assert parse_reservation(rdate, rtime) == expected


def test_parse_reservation_is_kst():
    when = parse_reservation("20250314", "091500")
    assert when.utcoffset() == timedelta(hours=9)
    assert when.astimezone(UTC) == datetime(2025, 3, 14, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rdate", "rtime"),
    [
        ("20250314", ""),
        ("", "091500"),
        ("2025031", "091500"),
        ("20250230", "091500"),
        ("2025/03/14", "091500"),
        ("20250314", "241500"),
        ("20250314", "096000"),
        ("20250314", "9:15"),
        ("20250314", "0915001"),
        ("tomorrow", "noon"),
    ],
)
def test_parse_reservation_malformed(rdate, rtime):
    with pytest.raises(ValueError):
        parse_reservation(rdate, rtime)


@pytest.mark.parametrize(
    ("rdate", "rtime", "expected"),
    [
        ("", "", []),
        ("20250314", "091000", []),  # exactly 10 minutes ahead
        ("2025-03-15", "08:00", []),
        ("20250314", "090959", [("rtime", "reservation_too_soon")]),
        ("20250314", "080000", [("rtime", "reservation_too_soon")]),
        ("20250314", "", [("rtime", "reservation_invalid")]),
        ("", "091500", [("rdate", "reservation_invalid")]),
        ("20251301", "091500", [("rdate", "reservation_invalid")]),
        ("20250315", "25:00", [("rtime", "reservation_invalid")]),
        ("x", "y", [("rdate", "reservation_invalid"), ("rtime", "reservation_invalid")]),
    ],
)
def test_check_reservation(rdate, rtime, expected):
    problems = check_reservation(rdate, rtime, now=NOW)
    assert [(p.field, p.code) for p in problems] == expected


def test_check_reservation_message_and_other_timezones():
    problem = check_reservation("20250314", "090500", now=NOW)[0]
    assert problem.ko == "예약 시간은 지금부터 10분 이후여야 합니다"
    # 00:00 UTC is 09:00 KST: 09:10 KST is fine, 09:09 KST is not
    utc_now = datetime(2025, 3, 14, 0, 0, tzinfo=UTC)
    assert check_reservation("20250314", "091000", now=utc_now) == []
    assert check_reservation("20250314", "090900", now=utc_now) != []


def test_check_reservation_defaults_to_the_real_clock():
    past = datetime.now(KST) - timedelta(days=1)
    future = datetime.now(KST) + timedelta(days=1)
    assert codes(check_reservation(*format_reservation(past))) == ["reservation_too_soon"]
    assert check_reservation(*format_reservation(future)) == []


def test_format_reservation():
    assert format_reservation(datetime(2025, 3, 14, 9, 5, 7, tzinfo=KST)) == ("20250314", "090507")
    # converted to KST, across midnight
    assert format_reservation(datetime(2025, 3, 14, 15, 30, tzinfo=UTC)) == ("20250315", "003000")


# --- repeat -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "num", "minutes", "expected"),
    [
        ("", None, None, []),
        ("N", "99", "1", []),
        ("Y", 1, 15, []),
        ("Y", "10", "15", []),
        ("Y", " 3 ", "60", []),
        ("Y", 0, 15, ["repeat_num"]),
        ("Y", 11, 15, ["repeat_num"]),
        ("Y", "", 15, ["repeat_num"]),
        ("Y", None, 15, ["repeat_num"]),
        ("Y", "2.5", 15, ["repeat_num"]),
        ("Y", "-1", 15, ["repeat_num"]),
        ("Y", 2, 14, ["repeat_time"]),
        ("Y", 2, "14", ["repeat_time"]),
        ("Y", 2, "abc", ["repeat_time"]),
        ("Y", 2, None, ["repeat_time"]),
        ("Y", None, None, ["repeat_num", "repeat_time"]),
    ],
)
def test_check_repeat(flag, num, minutes, expected):
    assert codes(check_repeat(flag, num, minutes)) == expected


def test_check_repeat_fields():
    problems = check_repeat("Y", 0, 0)
    assert [p.field for p in problems] == ["repeatNum", "repeatTime"]
    assert all(p.ko and p.en for p in problems)


# --- properties --------------------------------------------------------------------------


def _supported_alphabet() -> list[str]:
    """Every character EUC-KR holds in one or two bytes (KS X 1001), plus CR."""
    chars = []
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        try:
            if len(ch.encode("euc_kr")) <= 2:
                chars.append(ch)
        except UnicodeEncodeError:
            pass
    return chars


SUPPORTED = _supported_alphabet()
supported_text = st.text(alphabet=st.sampled_from(SUPPORTED) | st.sampled_from("\r\n가a"))


@given(supported_text)
def test_property_length_matches_codec(text):
    assert unsupported_chars(text) == []
    assert euckr_length(text) == len(normalize_text(text).encode("euc_kr"))


@given(st.text())
def test_property_length_counts_code_points(text):
    norm = normalize_text(text)
    assert euckr_length(text) == len(norm) + sum(1 for ch in norm if ord(ch) >= 0x80)
    found = unsupported_chars(text)
    assert len(found) == len(set(found))
    rest = "".join(ch for ch in norm if ch not in found)
    assert euckr_length(rest) == len(rest.encode("euc_kr"))


@given(st.text(), st.booleans())
def test_property_kind_follows_length(text, lms):
    kind = message_kind(text, lms)
    assert kind == ("L" if lms or euckr_length(text) > SMS_LIMIT else "S")


def _valid_numbers() -> st.SearchStrategy[str]:
    """Canonical valid numbers of every accepted shape."""
    d = st.integers

    def digits(n: int) -> st.SearchStrategy[str]:
        return d(0, 10**n - 1).map(lambda v: f"{v:0{n}d}")

    mid = st.sampled_from([3, 4]).flatmap(digits)
    return st.one_of(
        st.tuples(st.just("010"), digits(4), digits(4)),
        st.tuples(st.sampled_from(["011", "016", "017", "018", "019"]), mid, digits(4)),
        st.tuples(st.just("02"), mid, digits(4)),
        st.tuples(st.sampled_from(["031", "042", "051", "064", "070"]), digits(4), digits(4)),
        st.tuples(st.sampled_from([f"050{i}" for i in range(2, 9)]), digits(4), digits(4)),
        st.tuples(d(0, 99).map(lambda v: f"{v:02d}"), st.sampled_from("568"), digits(4)).map(
            lambda t: (f"1{t[1]}{t[0]}", t[2])
        ),
    ).map("-".join)


def _typed(number: str) -> st.SearchStrategy[str]:
    """The ways people type a canonical number."""
    bare = number.replace("-", "")
    options = [number, bare, number.replace("-", " "), number.replace("-", ".")]
    if number.startswith("0"):
        options += [f"+82 {number[1:]}", f"82{bare[1:]}", f"+82-{number[1:]}"]
    return st.sampled_from(options)


@given(_valid_numbers().flatmap(lambda n: st.tuples(st.just(n), _typed(n))))
def test_property_typed_numbers_normalize(pair):
    canonical, typed = pair
    assert normalize_phone(typed) == canonical
    assert "-".join(split_sender(typed)) == canonical


@given(st.text() | _valid_numbers())
def test_property_normalize_phone_idempotent(raw):
    once = normalize_phone(raw)
    if once is not None:
        assert normalize_phone(once) == once
        assert split_sender(once) == tuple(once.split("-"))


@given(
    st.lists(_valid_numbers().flatmap(_typed), min_size=1, max_size=30),
    st.lists(st.sampled_from([",", ";", "\n", "\r\n", "\t", " ", "  ", ", "]), min_size=30),
)
def test_property_parse_recipients_keeps_every_valid_number(typed, separators):
    text = "".join(t + sep for t, sep in zip(typed, separators, strict=False))
    result = parse_recipients(text)
    expected = list(dict.fromkeys(normalize_phone(t) for t in typed))
    assert result.phones == expected
    assert result.invalid == []
    assert set(result.duplicates) <= set(expected)


@given(
    st.lists(
        st.tuples(_valid_numbers(), st.text(alphabet="가나다 abc,|", max_size=8)),
        max_size=20,
        unique_by=lambda t: t[0],
    )
)
def test_property_destination_round_trip(pairs):
    recipients = [Recipient(phone, name) for phone, name in pairs]
    parsed = parse_destination(format_destination(recipients))
    assert parsed.phones == [r.phone for r in recipients]
    assert parsed.invalid == []
    for got, sent in zip(parsed.recipients, recipients, strict=True):
        assert "," not in got.name and "|" not in got.name
        assert got.name.replace(" ", "") == sent.name.replace(",", "").replace("|", "").replace(
            " ", ""
        )


@given(st.text(max_size=50), st.lists(st.text(max_size=10), max_size=5))
def test_property_merge_lengths(msg, names):
    recipients = [Recipient(f"010-0000-{i:04d}", n) for i, n in enumerate(names)]
    merged = merge_all(msg, recipients)
    assert [m.length for m in merged] == [euckr_length(m.text) for m in merged]
    assert all("{name}" not in m.text or "{name}" in m.recipient.name for m in merged)
    longest = longest_merged(msg, recipients)
    assert longest == (max(merged, key=lambda m: m.length) if merged else None)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_property_reservation_round_trip(naive):
    when = naive.replace(microsecond=0, tzinfo=KST)
    assert parse_reservation(*format_reservation(when)) == when


def test_limits():
    assert (SMS_LIMIT, LMS_LIMIT, SUBJECT_LIMIT, MAX_RECIPIENTS) == (90, 2000, 50, 999)


# --- NFC: Hangul pasted as decomposed jamo (NFD, e.g. from macOS) ----------------------


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_normalize_text_composes_and_fixes_newlines():
    assert nfd("한국어") != "한국어"
    assert normalize_text(nfd("한국어\r\n됐어요\r")) == "한국어\n됐어요\n"
    assert normalize_text("cafe\u0301") == "caf\u00e9"


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


def test_merge_and_destination_names_are_nfc():
    assert merge_name(nfd("{name}님 안녕"), nfd("홍길동")) == "홍길동님 안녕"
    assert merge_name("\u1100{name}", "\u1161") == "가"  # composes across the placeholder
    parsed = parse_destination(nfd("010-1234-5678|홍길동\n010 2222 3333 김 철수"))
    assert [(r.phone, r.name) for r in parsed.recipients] == [
        ("010-1234-5678", "홍길동"), ("010-2222-3333", "김 철수")]
    merged = merge_all("{name}", parsed.recipients)
    assert [m.length for m in merged] == [6, 7]


# --- BOM, zero-width and separator characters in pasted numbers ---------------------


@pytest.mark.parametrize(
    "raw",
    [
        "\ufeff010-1234-5678",
        "010\u200b1234\u200c5678",
        "\u200d01012345678\u2060",
        "010\x1c1234\x1d5678",
        "010\x1e1234\x1f5678",
        " \ufeff010 1234 5678\x1f",
    ],
)
def test_invisible_and_separator_characters_are_ignored_in_numbers(raw):
    assert normalize_phone(raw) == "010-1234-5678"


def test_bom_and_separators_in_pasted_lists():
    rphone = parse_recipients("\ufeff010-1234-5678\x1c010 2222 3333\x1f\u200b02-123-4567")
    assert rphone.phones == ["010-1234-5678", "010-2222-3333", "02-123-4567"]
    assert rphone.invalid == []
    names = parse_destination("\ufeff010-1234-5678|홍길동\n010\x1c2222\x1d3333\x1f김철수")
    assert [(r.phone, r.name) for r in names.recipients] == [
        ("010-1234-5678", "홍길동"), ("010-2222-3333", "김철수")]
    assert names.invalid == []


# --- long lines parse in linear time ---------------------------------------------------


class _CountingNormalize:
    """Wraps normalize_phone, counting calls and characters, failing fast past a budget."""

    def __init__(self, budget: int):
        self.calls = self.chars = 0
        self.budget = budget
        self.real = message.normalize_phone

    def __call__(self, raw: str):
        self.calls += 1
        self.chars += len(raw)
        assert self.chars <= self.budget, f"normalize_phone read {self.chars:,} characters"
        return self.real(raw)


@pytest.mark.parametrize(
    ("text", "phones", "name_length"),
    [
        ("x " * 50000, [], None),
        ("1 " * 50000, [], None),
        ("010 1234 5678 " + "x " * 50000, ["010-1234-5678"], 99999),
        ("+82 (0)10 1234 5678 " + "가 " * 50000, ["010-1234-5678"], 99999),
    ],
)
def test_destination_long_line_is_linear(monkeypatch, text, phones, name_length):
    counter = _CountingNormalize(budget=12 * len(text))
    monkeypatch.setattr(message, "normalize_phone", counter)
    start = time.perf_counter()
    parsed = parse_destination(text)
    assert time.perf_counter() - start < 2
    assert parsed.phones == phones
    assert parsed.invalid == ([] if phones else [text.strip()])
    if phones:
        assert len(parsed.recipients[0].name) == name_length
    assert counter.calls <= 1 + 5  # the whole entry, then at most five prefixes


@pytest.mark.parametrize("text", ["x " * 50000, "1 " * 50000, "010-1234-5678 x " * 10000])
def test_recipients_long_line_is_linear(monkeypatch, text):
    # each token is read in at most five runs of at most five tokens
    counter = _CountingNormalize(budget=25 * len(text))
    monkeypatch.setattr(message, "normalize_phone", counter)
    start = time.perf_counter()
    parsed = parse_recipients(text)
    assert time.perf_counter() - start < 2
    tokens = text.split()
    assert counter.calls <= 5 * len(tokens)
    if text.startswith("x"):
        assert counter.calls == 0  # no token can be part of a number
        assert (parsed.phones, parsed.invalid) == ([], [text.strip()])
    elif text.startswith("1 "):
        assert (parsed.phones, parsed.invalid) == ([], [text.strip()])
    else:
        assert parsed.phones == ["010-1234-5678"]
        assert parsed.duplicates == ["010-1234-5678"] and parsed.invalid == ["x"]


def test_destination_number_with_spaces_and_a_name():
    # five space-separated pieces is the most a typed number has; a whole entry may have more
    parsed = parse_destination("+82 (0)10 1234 5678 남궁 민수\n0 1 0 2 2 2 2 3 3 3 3")
    assert [(r.phone, r.name) for r in parsed.recipients] == [
        ("010-1234-5678", "남궁 민수"), ("010-2222-3333", "")]


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
    assert "똠 😀" in problems[0].ko and "똠 😀" in problems[0].en
    assert "됬" in problems[1].ko and "됬" in problems[1].en
    assert check_names([Recipient("010-1111-2222", "홍길동")]) == []


@pytest.mark.parametrize(
    "msg",
    [
        "안녕하세요",  # no {name}: names are still sent in destination
        "{name}님 " + "가" * 20,  # the bad name is in a shorter merge
    ],
)
def test_check_merge_flags_every_name(msg):
    people = [Recipient("010-1111-2222", "남궁민수님께"), Recipient("010-2222-3333", "똠")]
    assert longest_merged(msg, people).recipient.name != "똠" or "{name}" not in msg
    assert codes(check_merge(msg, people)) == ["name_unsupported_chars"]
    people.append(Recipient("010-3333-4444", "됬"))
    assert codes(check_merge(msg, people)) == ["name_unsupported_chars", "name_refused_char"]


# --- caps: repeat interval and reservation horizon -----------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (1440, []),
        ("1440", []),
        (1441, ["repeat_time"]),
        (10**12, ["repeat_time"]),
        ("9" * 5000, ["repeat_time"]),  # int() would refuse this many digits
        ("0" * 5000 + "60", []),
    ],
)
def test_check_repeat_interval_is_capped_at_a_day(minutes, expected):
    assert codes(check_repeat("Y", 2, minutes)) == expected


def test_check_repeat_count_with_huge_numbers():
    assert codes(check_repeat("Y", "9" * 5000, 15)) == ["repeat_num"]


def test_check_repeat_interval_message_names_both_bounds():
    problem = check_repeat("Y", 2, 1441)[0]
    assert "15" in problem.ko and "1,440" in problem.ko and "24" in problem.ko
    assert "15" in problem.en and "1,440" in problem.en and "24 hours" in problem.en


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (NOW + timedelta(days=365), []),
        (NOW + timedelta(days=365, seconds=1), [("rdate", "reservation_too_far")]),
        (datetime(9999, 12, 31, 23, 59, tzinfo=KST), [("rdate", "reservation_too_far")]),
    ],
)
def test_check_reservation_horizon(when, expected):
    problems = check_reservation(*format_reservation(when), now=NOW)
    assert [(p.field, p.code) for p in problems] == expected
    if problems:
        assert "365일" in problems[0].ko and "365 days" in problems[0].en
