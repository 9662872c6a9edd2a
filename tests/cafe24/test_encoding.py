"""The field encodings of sms_sender.php and sms_remain.php, one test per wire rule."""

from __future__ import annotations

import base64

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cafe24.encoding import (
    b64_destination,
    b64_field,
    decode_destination,
    decode_field,
    from_bytes,
    normalize_charset,
    to_bytes,
)

# Inputs chosen so that their standard Base64 holds '+', '/' and '=' padding.
DESTINATIONS = {
    "utf-8": "010-1234-5678|박 믿음,010-2222-3333|김 찾기",
    "euc-kr": "010-1234-5678|민우민~,010-2222-3333|동민",
}
CODECS = {"utf-8": "utf-8", "euc-kr": "cp949"}

korean_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.just("\n"),
    ),
    max_size=60,
)


@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
@pytest.mark.parametrize("value", ["demo", "010", "안녕하세요 {name}님", "x" * 100, "", "똠방각하"])
def test_b64_field_is_standard_base64_of_the_charset_bytes(value, charset):
    assert b64_field(value, charset) == base64.b64encode(
        value.encode(CODECS[charset])).decode("ascii")


def test_mode_is_base64_of_one():
    assert b64_field("1") == "MQ=="
    assert b64_field("1", "euc-kr") == "MQ=="


@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
def test_destination_swaps_plus_and_slash_and_keeps_padding(charset):
    value = DESTINATIONS[charset]
    standard = base64.b64encode(value.encode(CODECS[charset])).decode("ascii")
    assert "+" in standard and "/" in standard and standard.endswith("=")

    encoded = b64_destination(value, charset)

    assert encoded == standard.replace("+", "-").replace("/", ",")
    assert "+" not in encoded and "/" not in encoded
    assert encoded.endswith("=")
    assert decode_destination(encoded) == value


def test_decode_destination_tolerates_the_standard_alphabet():
    value = DESTINATIONS["utf-8"]
    assert decode_destination(base64.b64encode(value.encode()).decode()) == value


def test_utf8_and_euckr_payloads_differ_for_hangul_but_not_ascii():
    assert to_bytes("한글", "utf-8") == "한글".encode()
    assert to_bytes("한글", "euc-kr") == b"\xc7\xd1\xb1\xdb"
    assert b64_field("한글", "utf-8") == "7ZWc6riA"
    assert b64_field("한글", "euc-kr") == "x9Gx2w=="
    assert b64_field("abc", "utf-8") == b64_field("abc", "euc-kr")


def test_euckr_payload_holds_syllables_outside_ks_x_1001():
    # CP949 (the superset) encodes all 11,172 syllables in two bytes, not 8-byte make-ups.
    assert to_bytes("똠", "euc-kr") == "똠".encode("cp949")
    assert len(to_bytes("똠", "euc-kr")) == 2


@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
def test_both_charsets_decode_back(charset):
    assert decode_field(b64_field("안녕하세요", charset)) == "안녕하세요"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("UTF-8", "utf-8"), ("utf8", "utf-8"), ("EUC-KR", "euc-kr"), ("euc_kr", "euc-kr"),
     ("cp949", "euc-kr"), ("ks_c_5601-1987", "euc-kr")],
)
def test_charset_names_are_normalized(name, canonical):
    assert normalize_charset(name) == canonical


def test_unknown_charset_is_refused():
    with pytest.raises(ValueError, match="unsupported charset"):
        normalize_charset("latin-1")


@pytest.mark.parametrize(
    ("text", "plain"),
    [("MQ", "1"), ("MQ=", "1"), ("MQ==", "1"), ("7ZWc6riA", "한글"), ("x9Gx2w", "한글"),
     ("ZGVt\nbw", "demo"), ("", "")],
)
def test_decode_field_tolerates_missing_padding_and_whitespace(text, plain):
    assert decode_field(text) == plain


@pytest.mark.parametrize("text", ["@@@@", "MQ==!", "한글", "A", "ab$d"])
def test_decode_field_refuses_what_is_not_base64(text):
    with pytest.raises(ValueError, match="not Base64"):
        decode_field(text)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("안녕".encode(), "안녕"),
        ("안녕".encode("cp949"), "안녕"),
        ("똠방".encode("cp949"), "똠방"),
        (b"plain ascii", "plain ascii"),
        # Valid UTF-8 wins even when the same bytes are also CP949 (the contract's rule).
        ("¡".encode(), "¡"),
    ],
)
def test_from_bytes_reads_utf8_first_then_cp949(raw, text):
    assert from_bytes(raw) == text


@given(korean_text)
def test_utf8_field_round_trips(text):
    assert decode_field(b64_field(text, "utf-8")) == text


@given(korean_text)
def test_euckr_field_round_trips(text):
    # CP949 bytes that happen to be valid UTF-8 are read as UTF-8 by the contract's rule
    # (texts made only of ASCII and 345 of the 11,172 syllables, e.g. '창'): see below.
    encoded = text.encode("cp949")
    assume(encoded.isascii() or not _is_utf8(encoded))
    assert decode_field(b64_field(text, "euc-kr")) == text


@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
@given(text=korean_text)
def test_destination_round_trips(charset, text):
    if charset == "euc-kr":
        encoded = text.encode("cp949")
        assume(encoded.isascii() or not _is_utf8(encoded))
    encoded_field = b64_destination(text, charset)
    assert "+" not in encoded_field and "/" not in encoded_field
    assert decode_destination(encoded_field) == text


@pytest.mark.xfail(strict=True, reason="contract: valid UTF-8 is read as UTF-8, so CP949 "
                   "text whose bytes are also valid UTF-8 cannot be told apart")
def test_euckr_text_that_is_also_valid_utf8_is_misread():
    assert _is_utf8("창".encode("cp949"))
    assert decode_field(b64_field("창", "euc-kr")) == "창"


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
