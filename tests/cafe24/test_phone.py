"""Tests for cafe24.phone: phone numbers, recipient lists, and the judge of recipients."""


import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafe24 import phone
from cafe24.phone import (
    MAX_RECIPIENTS,
    Recipient,
    add_numbers,
    check_recipients,
    format_destination,
    format_rphone,
    normalize_phone,
    parse_destination,
    parse_recipients,
    split_sender,
)
from cafe24.text import Problem


def codes(problems: list[Problem]) -> list[str]:
    """Return the problem codes, in order."""
    return [p.code for p in problems]



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
    assert (result.duplicates, result.invalid) == ([], [])


def test_parse_recipients_duplicates_and_invalid():
    text = "010-1111-2222, 01011112222, 12345, 010 1111 2222, abc, 12345, 02-123-4567, 021234567"
    result = parse_recipients(text)
    assert result.phones == ["010-1111-2222", "02-123-4567"]
    assert result.duplicates == ["010-1111-2222", "02-123-4567"]
    assert result.invalid == ["12345", "abc"]
    assert result.entries == (Recipient("010-1111-2222"), Recipient("02-123-4567"),
                              Recipient("12345"), Recipient("abc"))


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
    result = parse_recipients(text)
    assert (result.recipients, result.invalid, result.entries) == ([], [], ())


def _numbers(count: int) -> list[str]:
    """Return count distinct valid mobile numbers."""
    return [f"010-{i // 10000 + 1000:04d}-{i % 10000:04d}" for i in range(count)]


def test_parse_recipients_keeps_any_number_of_recipients():
    result = parse_recipients(",".join(_numbers(MAX_RECIPIENTS + 1)))
    assert len(result.recipients) == MAX_RECIPIENTS + 1  # too many is the judge's to say


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
    assert result.invalid == []


DESTINATION_CASES = json.loads((Path(__file__).parent.parent / "cases" /
                                "destination_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", DESTINATION_CASES, ids=[c["note"] for c in DESTINATION_CASES])
def test_parse_destination_reads_a_name_and_a_number_in_either_order(case):
    """Excel's two columns ("홍길동<TAB>010-…") were read as bad numbers; the same cases
    run in the browser's parser (tests/test_static_euckr.py)."""
    result = parse_destination(case["text"])
    assert [[r.phone, r.name] for r in result.recipients] == case["recipients"]
    assert (result.invalid, result.name_first) == (case["invalid"], case["name_first"])


def test_numbers_join_the_names_list_without_a_name():
    names = parse_destination("010-1234-5678|홍길동\n010-1234-5678|또")
    numbers = parse_recipients("010-2222-3333, 010-1234-5678, 010-2222-3333, 12")
    joined, added = add_numbers(names, numbers)
    assert joined.recipients == [Recipient("010-1234-5678", "홍길동"),
                                 Recipient("010-2222-3333", "")]
    assert (added, joined.duplicates, joined.invalid) == (1, ["010-1234-5678",
                                                              "010-2222-3333"], [])


def test_parse_destination_duplicates_keep_first_name_and_report_invalid():
    result = parse_destination("010-1234-5678|홍길동,010-1234-5678|다른이름,999|누구,홍길동")
    assert result.recipients == [Recipient("010-1234-5678", "홍길동")]
    assert result.duplicates == ["010-1234-5678"]
    assert result.invalid == ["999|누구", "홍길동"]
    assert result.entries == (Recipient("010-1234-5678", "홍길동"), Recipient("999|누구"),
                              Recipient("홍길동"))


def test_parse_destination_empty():
    assert parse_destination(" \n, ").entries == ()


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
        self.real = phone.normalize_phone

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
    monkeypatch.setattr(phone, "normalize_phone", counter)
    parsed = parse_destination(text)
    assert parsed.phones == phones
    assert parsed.invalid == ([] if phones else [text.strip()])
    if phones:
        assert len(parsed.recipients[0].name) == name_length
    # the whole entry, then at most five prefixes and five suffixes ("name number")
    assert counter.calls <= 1 + 5 + 5


@pytest.mark.parametrize("text", ["x " * 50000, "1 " * 50000, "010-1234-5678 x " * 10000])
def test_recipients_long_line_is_linear(monkeypatch, text):
    # each token is read in at most five runs of at most five tokens
    counter = _CountingNormalize(budget=25 * len(text))
    monkeypatch.setattr(phone, "normalize_phone", counter)
    parsed = parse_recipients(text)
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


# --- the one judge of recipient entries ----------------------------------------------


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], [("no_recipients", {})]),
        (["010-1111-2222", "02-123-4567"], []),
        (["010 1111 2222", "+82 2 123 4567"], []),  # as typed, one number each
        (["010-1111-2222", "12345", "abc", "12345"],
         [("invalid_phone", {"numbers": "12345, abc", "count": 2})]),
        (["999|누구"], [("invalid_phone", {"numbers": "999|누구", "count": 1})]),
        # what the parser called not a number is not one here either
        (["0 1 0 1 2 3 4 5 6 7 8"], [("invalid_phone", {"numbers": "0 1 0 1 2 3 4 5 6 7 8",
                                                         "count": 1})]),
        (["010-1111-2222,010-3333-4444"],
         [("invalid_phone", {"numbers": "010-1111-2222,010-3333-4444", "count": 1})]),
    ],
)
def test_check_recipients(entries, expected):
    problems = check_recipients(entries, "destination")
    assert [(p.code, p.params) for p in problems] == expected
    assert all(p.field == "destination" for p in problems)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(MAX_RECIPIENTS, []), (MAX_RECIPIENTS + 1, [("too_many_recipients",
                                                  {"count": 1000, "limit": 999})])],
)
def test_check_recipients_limit(count, expected):
    problems = check_recipients(_numbers(count))
    assert [(p.code, p.params) for p in problems] == expected
    assert all(p.field == "rphone" for p in problems)


def test_limit_counts_unique_numbers():
    numbers = _numbers(MAX_RECIPIENTS)
    typed = parse_recipients(",".join(numbers + numbers[:5]))
    assert len(typed.duplicates) == 5
    assert check_recipients([r.phone for r in typed.entries]) == []


def test_check_recipients_counts_numbers_not_entries_that_are_not_numbers():
    assert codes(check_recipients([*_numbers(MAX_RECIPIENTS), "x", "y"])) == ["invalid_phone"]


def test_parser_then_judge_report_each_problem_once():
    typed = parse_recipients(",".join([*_numbers(MAX_RECIPIENTS + 1), "123", "123", "abc"]))
    problems = check_recipients([r.phone for r in typed.entries])
    assert [(p.code, p.params) for p in problems] == [
        ("invalid_phone", {"numbers": "123, abc", "count": 2}),
        ("too_many_recipients", {"count": 1000, "limit": 999}),
    ]
    assert check_recipients([r.phone for r in parse_recipients(" ,; ").entries]) == [
        Problem("rphone", "no_recipients")]
