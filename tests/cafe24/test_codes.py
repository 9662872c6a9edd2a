"""Tests for cafe24.codes: every contract code is described, lookups never raise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cafe24.codes import (
    DELIVERY_CODES,
    LIST_CODES,
    REMAIN_CODES,
    SEND_CODES,
    CodeInfo,
    describe_delivery,
    describe_list,
    describe_remain,
    describe_send,
)

CONTRACT = Path(__file__).resolve().parents[2].parent / "shared" / "cafe24-sms-api.md"

SMS_RESULT = (
    "3201 3202 3203 3204 3205 3206 3207 3208 3209 3210 3211 3213 3214 "
    "3217 3218 3219 3220 3221 3222 3223 3224"
).split()
SEND_FAILURES = (
    "-100 -101 -102 -105 -110 -114 -201 -202 -203 0001 0002 0003 0004 0005 0099 0044"
).split() + SMS_RESULT
SEND_ALL = ["success", "reserved", "test", *SEND_FAILURES]
DELIVERY = (
    "0 -2 1 41 42 112 114 116 202 203 204 205 206 207 209 210 211 212 216 245 253 254 "
    "2003 4005 4007 4008 4301 4305 4307 6072 8012 8200 9999"
).split()
LIST = ["0000", "-101", "-102"]
REMAIN = ["-100", "-101", "-102"]

TABLES = {
    "send": SEND_CODES,
    "delivery": DELIVERY_CODES,
    "list": LIST_CODES,
    "remain": REMAIN_CODES,
}
DESCRIBE = {
    "send": describe_send,
    "delivery": describe_delivery,
    "list": describe_list,
    "remain": describe_remain,
}


def _all_infos():
    """Yield (table name, key, info) for every entry of every table."""
    for name, table in TABLES.items():
        for key, info in table.items():
            yield name, key, info


# --- hard-coded lists (run everywhere) ------------------------------------------------


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        (SEND_CODES, SEND_ALL),
        (DELIVERY_CODES, DELIVERY + SMS_RESULT),
        (LIST_CODES, LIST),
        (REMAIN_CODES, REMAIN),
    ],
    ids=["send", "delivery", "list", "remain"],
)
def test_hard_coded_codes_present(table, codes):
    missing = [c for c in codes if c not in table]
    assert missing == []


def test_sms_result_codes_shared_with_delivery():
    for code in SMS_RESULT:
        assert DELIVERY_CODES[code] == SEND_CODES[code]


def test_remain_reuses_send_entries():
    assert REMAIN_CODES["-100"] == SEND_CODES["-100"]
    assert REMAIN_CODES["-102"] == SEND_CODES["-102"]
    assert LIST_CODES["-102"] == SEND_CODES["-102"]


# --- codes parsed from the contract -------------------------------------------------


def _section(text: str, heading: str) -> str:
    """Return the contract text from ``heading`` to the next heading of any level."""
    start = text.index(heading) + len(heading)
    nxt = re.search(r"^#{2,3} ", text[start:], flags=re.MULTILINE)
    return text[start : start + nxt.start()] if nxt else text[start:]


def _codes(fragment: str) -> set[str]:
    """Backticked numeric codes in a fragment of the contract."""
    return set(re.findall(r"`(-?\d+)`", fragment))


@pytest.mark.skipif(not CONTRACT.is_file(), reason="gateway contract not beside the repo")
def test_contract_codes_present():
    text = CONTRACT.read_text(encoding="utf-8")

    send = _codes(_section(text, "### Failure codes at send time (SMS table)"))
    delivery = _codes(_section(text, "### LMS/MMS delivery codes"))
    results = _section(text, "## Results: `sms_list.php`")
    sentence = re.search(r"result code is(.*?);", results, flags=re.DOTALL)
    assert sentence is not None
    listed = _codes(sentence.group(1))
    remain = _codes(_section(text, "## Remaining credit: `sms_remain.php`"))

    # The parse itself must have found something sensible.
    assert {"-114", "0004", "3224"} <= send
    assert {"0", "-2", "114", "9999"} <= delivery
    assert listed == {"0000", "-101", "-102"}
    assert "-102" in remain

    assert sorted(send - SEND_CODES.keys()) == []
    assert sorted(delivery - DELIVERY_CODES.keys()) == []
    assert sorted({c for c in send if c.startswith("32")} - DELIVERY_CODES.keys()) == []
    assert sorted(listed - LIST_CODES.keys()) == []
    assert sorted(remain - REMAIN_CODES.keys()) == []

    # The hard-coded lists above stay in step with the contract.
    assert send == set(SEND_FAILURES)
    assert delivery == set(DELIVERY)


# --- the entries themselves ----------------------------------------------------------


@pytest.mark.parametrize(("name", "key", "info"), list(_all_infos()))
def test_entries_well_formed(name, key, info):
    assert isinstance(info, CodeInfo)
    assert info.code == key
    assert info.known is True
    assert info.ko.strip() and info.en.strip()
    assert info.ko != info.en
    assert bool(info.hint_ko) == bool(info.hint_en)
    assert re.search(r"[가-힣]", info.ko), "Korean meaning should be in Hangul"
    assert DESCRIBE[name](key) is info


def test_text_languages():
    info = SEND_CODES["-114"]
    assert info.text() == f"{info.ko} {info.hint_ko}"
    assert info.text("ko") == info.text()
    assert info.text("en") == f"{info.en} {info.hint_en}"
    assert info.text("EN-us") == info.text("en")
    assert info.text("fr") == info.text("ko")
    plain = DELIVERY_CODES["207"]
    assert plain.hint_ko == ""
    assert plain.text("ko") == plain.ko
    assert plain.text("en") == plain.en


def test_sender_hint_mentions_registration_menu():
    assert "발신번호 관리" in SEND_CODES["-114"].hint_ko


def test_body_length_mentions_title_limit():
    info = SEND_CODES["0004"]
    assert "50바이트" in info.hint_ko and "제목" in info.hint_ko
    assert "50 bytes" in info.hint_en and "title" in info.hint_en


def test_auth_failure_wording():
    assert SEND_CODES["-102"].ko == "인증에 실패했습니다. SMS 아이디와 인증키를 확인하세요."


# --- -114 versus 114 --------------------------------------------------------------------


def test_minus_114_and_114_are_different_codes():
    unregistered = describe_send("-114")
    spoofed = describe_delivery("114")
    assert unregistered.known and spoofed.known
    assert unregistered.code == "-114" and spoofed.code == "114"
    assert unregistered.ko != spoofed.ko
    assert unregistered.en != spoofed.en
    assert "발신번호" in unregistered.ko
    assert "도용" in spoofed.ko
    assert "114" not in SEND_CODES
    assert "-114" not in DELIVERY_CODES
    assert not describe_send("114").known
    assert not describe_delivery("-114").known


def test_sms_0001_is_not_delivery_1():
    assert describe_send("0001").ko != describe_delivery("1").ko
    assert not describe_send("1").known


# --- lookups: whitespace, unknown, empty ----------------------------------------------


@pytest.mark.parametrize(
    ("func", "raw", "key"),
    [
        (describe_send, "  -102\r\n", "-102"),
        (describe_send, "\tsuccess ", "success"),
        (describe_delivery, " 114\n", "114"),
        (describe_delivery, " 0 ", "0"),
        (describe_list, "0000\n", "0000"),
        (describe_remain, " -101 ", "-101"),
    ],
)
def test_whitespace_stripped(func, raw, key):
    info = func(raw)
    assert info.known
    assert info.code == key


def test_send_answer_forms():
    assert describe_send("success,123") is SEND_CODES["success"]
    assert describe_send("reserved,7") is SEND_CODES["reserved"]
    assert describe_send("-102,") is SEND_CODES["-102"]
    assert describe_send("Test Success!") is SEND_CODES["test"]
    assert describe_send("Test Success!,42\n") is SEND_CODES["test"]
    assert describe_send("test") is SEND_CODES["test"]
    assert describe_send("SUCCESS") is SEND_CODES["success"]
    assert describe_remain("-102,") is REMAIN_CODES["-102"]


@pytest.mark.parametrize("name", list(DESCRIBE))
@pytest.mark.parametrize("raw", ["7777", " -999 ", "abc", "0000000"])
def test_unknown_codes(name, raw):
    info = DESCRIBE[name](raw)
    code = raw.strip()
    assert info == CodeInfo(
        code,
        ko=f"알 수 없는 결과 코드({code})입니다. 카페24 고객센터에 문의하세요.",
        en=f"Unknown result code ({code}); ask Cafe24 support.",
        known=False,
    )


def test_list_code_is_not_remain_or_delivery():
    assert not describe_list("0").known
    assert not describe_delivery("0000").known
    assert not describe_remain("0000").known


@pytest.mark.parametrize("name", list(DESCRIBE))
@pytest.mark.parametrize("raw", ["", "   ", "\r\n", None, b"", b" -102 "])
def test_empty_and_odd_input_never_raises(name, raw):
    info = DESCRIBE[name](raw)
    assert isinstance(info, CodeInfo)
    if isinstance(raw, bytes) and raw.strip():
        assert info.code == "-102"
        assert info.known == ("-102" in TABLES[name])
        return
    assert info.known is False
    assert info.code == ""
    assert "빈 응답" in info.ko
    assert "empty" in info.en.lower()
    assert info.text("ko") and info.text("en")


def test_empty_send_warns_outcome_unknown():
    info = describe_send("")
    assert "알 수 없" in info.hint_ko
    assert "unknown" in info.hint_en.lower()


@pytest.mark.parametrize("name", list(DESCRIBE))
def test_non_string_input_never_raises(name):
    for raw in (114, -102, 0, 3.5, object()):
        assert isinstance(DESCRIBE[name](raw), CodeInfo)


def test_infos_are_frozen():
    with pytest.raises(AttributeError):
        SEND_CODES["-114"].ko = "x"  # type: ignore[misc]
