"""The field encodings of sms_sender.php and sms_remain.php, one test per wire rule."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafe24.encoding import (
    answer_text,
    b64_destination,
    b64_field,
    decode_destination,
    decode_field,
    encoded_forms,
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
        ("café €".encode(), "café €"),  # U+00E9 is in the range, but the bytes are not CP949
        # Valid UTF-8 holding U+0080-U+07FF that also decodes as CP949 is CP949 (the contract).
        ("¡".encode(), "징"),
        ("창".encode("cp949"), "창"),
    ],
)
def test_from_bytes_auto_reads_utf8_unless_it_looks_like_misread_cp949(raw, text):
    assert from_bytes(raw) == text


@pytest.mark.parametrize(("raw", "charset", "text"), [
    ("¡".encode(), "utf-8", "¡"),
    ("창".encode("cp949"), "euc-kr", "창"),
    ("안녕".encode(), "utf-8", "안녕"),
])
def test_from_bytes_with_a_charset_reads_only_that_charset(raw, charset, text):
    assert from_bytes(raw, charset) == text


@pytest.mark.parametrize(("raw", "charset"), [
    ("안녕".encode("cp949"), "utf-8"),
    (b"\xff\xff", "auto"),
    (b"\xff\xff", "euc-kr"),
])
def test_bytes_that_are_not_text_in_the_charset_are_refused(raw, charset):
    with pytest.raises(ValueError):
        from_bytes(raw, charset)
    with pytest.raises(ValueError):
        decode_field(base64.b64encode(raw).decode(), charset)


def test_answers_are_read_without_failing():
    assert answer_text("¡".encode()) == "¡"  # the gateway answers UTF-8
    assert answer_text("한글".encode("cp949")) == "한글"
    assert answer_text(b"\xff") == "\ufffd"


@given(korean_text)
def test_utf8_field_round_trips(text):
    assert decode_field(b64_field(text, "utf-8")) == text
    assert decode_field(b64_field(text, "utf-8"), "utf-8") == text


@given(korean_text)
def test_euckr_field_round_trips(text):
    assert decode_field(b64_field(text, "euc-kr"), "euc-kr") == text
    # auto may misread only CP949 bytes that are valid UTF-8 free of U+0080-U+07FF:
    # combinations of several syllables, never one syllable alone (see below).
    if not _auto_misreads(text.encode("cp949")):
        assert decode_field(b64_field(text, "euc-kr")) == text


@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
@given(text=korean_text)
def test_destination_round_trips(charset, text):
    encoded_field = b64_destination(text, charset)
    assert "+" not in encoded_field and "/" not in encoded_field
    assert decode_destination(encoded_field, charset) == text


def test_euckr_text_that_is_also_valid_utf8_is_read_as_euckr():
    """The contract's ``auto``: '창' in CP949 is the valid UTF-8 of 'â'."""
    assert "창".encode("cp949").decode("utf-8") == "â"
    assert decode_field(b64_field("창", "euc-kr")) == "창"
    assert decode_destination(b64_destination("010-2222-3333|창민", "euc-kr")) == (
        "010-2222-3333|창민")


def test_every_syllable_alone_is_read_right_by_auto():
    """No single syllable's CP949 bytes read as UTF-8 outside the telling range."""
    for code in range(0xAC00, 0xD7A4):
        syllable = chr(code)
        assert from_bytes(syllable.encode("cp949")) == syllable
        assert from_bytes(syllable.encode("utf-8")) == syllable


def _auto_misreads(raw: bytes) -> bool:
    """True when ``auto`` would take these CP949 bytes for UTF-8 (the contract's rule)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not raw.isascii() and not any(0x80 <= ord(ch) <= 0x7FF for ch in text)


# -- the forms of a secret in an echoed body ----------------------------------------------


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b"xyz", "이름".encode()])
@pytest.mark.parametrize("suffix", [b"", b"!", b"!?"])
def test_encoded_forms_find_a_value_inside_longer_base64(prefix, suffix):
    forms = encoded_forms("demo-secure-key")
    longest = len(base64.b64encode(b"demo-secure-key"))  # what the value alone decides
    for alphabet in (None, str.maketrans({"+": "-", "/": ","})):
        text = base64.b64encode(prefix + b"demo-secure-key" + suffix).decode()
        text = text.translate(alphabet) if alphabet else text
        found = [f for f in forms if f in text and f != "demo-secure-key"]
        assert found and max(len(f) for f in found) >= longest - 3


@pytest.mark.parametrize("quoting", [lambda v: v, quote_plus])
def test_encoded_forms_find_the_values_field_inside_an_echo_of_the_whole_request(quoting):
    """A proxy that answers with the request body Base64-encoded: the body holds the key's
    Base64 field (URL-quoted), so that field's own fragments must be found in the echo."""
    body = f"user_id=ZGVtbw%3D%3D&secure={quoting(b64_field('k?>~y/s3cr3t&=?>'))}&msg=aGk%3D"
    forms = encoded_forms("k?>~y/s3cr3t&=?>", ("utf-8",))
    for shift in range(3):
        echo = base64.b64encode(b"x" * shift + body.encode()).decode()
        assert any(len(f) >= 16 and f in echo for f in forms), shift


def test_encoded_forms_hold_the_value_and_its_fields():
    forms = encoded_forms("k+y/?", ("utf-8",))
    assert {"k+y/?", b64_field("k+y/?"), b64_destination("k+y/?")} <= forms
