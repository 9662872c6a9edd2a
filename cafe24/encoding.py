"""Field encodings of the Cafe24 gateway, shared by the client and the simulator."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote, quote_plus

CHARSETS = ("utf-8", "euc-kr")
#: A reader's charset that tells the two apart by the contract's rule (see from_bytes).
AUTO = "auto"
# strtr(base64, '+/=', '-,') in the vendor samples: '=' has no partner and stays.
_DESTINATION_OUT = str.maketrans({"+": "-", "/": ","})
_DESTINATION_IN = str.maketrans({"-": "+", ",": "/"})


def normalize_charset(charset: str) -> str:
    """Return the canonical name of a supported payload charset or raise ValueError."""
    name = charset.strip().lower().replace("_", "-")
    if name in ("utf8", "utf-8"):
        return "utf-8"
    if name in ("euc-kr", "euckr", "cp949", "ks-c-5601-1987"):
        return "euc-kr"
    raise ValueError(f"unsupported charset {charset!r}: use utf-8 or euc-kr")


def to_bytes(value: str, charset: str = "utf-8") -> bytes:
    """Encode text for the wire; EUC-KR payloads use CP949 so all 11,172 syllables fit."""
    if normalize_charset(charset) == "euc-kr":
        return value.encode("cp949")
    return value.encode("utf-8")


_MISREAD = re.compile("[\u0080-\u07ff]")


def _misread_range(text: str) -> bool:
    """True when text holds a character in U+0080–U+07FF: what CP949 bytes read as UTF-8
    turn into (창 → â), and rare in Korean messages."""
    return _MISREAD.search(text) is not None


def from_bytes(raw: bytes, charset: str = AUTO) -> str:
    """Decode a field's bytes by the contract's charset rule; ValueError when they do not
    decode.

    ``utf-8`` and ``euc-kr`` (read as CP949) read that charset only. ``auto`` reads UTF-8
    when the bytes decode as UTF-8 and the text holds nothing in U+0080–U+07FF, otherwise
    CP949 when they decode as CP949: 345 syllables (창, 천, 책 …) have CP949 bytes that are
    also valid UTF-8, so "valid UTF-8" alone would misread them.
    """
    if raw.isascii():  # the same text in all three (numbers, ids, Base64 of a field)
        return raw.decode("ascii")
    name = AUTO if charset == AUTO else normalize_charset(charset)
    if name == "euc-kr":
        return raw.decode("cp949")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        if name == "utf-8":
            raise
        return raw.decode("cp949")
    if name == AUTO and _misread_range(text):
        try:
            return raw.decode("cp949")
        except UnicodeDecodeError:
            return text
    return text


def answer_text(raw: bytes) -> str:
    """Decode a gateway answer, never failing: UTF-8 (its answers are), else CP949 with
    replacement characters."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp949", errors="replace")


def b64_field(value: str, charset: str = "utf-8") -> str:
    """Base64 (standard alphabet) of the charset-encoded value, as every send field is sent."""
    return base64.b64encode(to_bytes(value, charset)).decode("ascii")


def b64_destination(value: str, charset: str = "utf-8") -> str:
    """Base64 for ``destination``: '+' becomes '-', '/' becomes ',', '=' padding is kept."""
    return b64_field(value, charset).translate(_DESTINATION_OUT)


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    # Some clients drop the padding; PHP's base64_decode does not mind, neither do we.
    compact += "=" * (-len(compact) % 4)
    return base64.b64decode(compact, validate=True)


def decode_field(text: str, charset: str = AUTO) -> str:
    """Read one Base64 field and decode its bytes by ``charset`` (see :func:`from_bytes`);
    raises ValueError when it is not Base64 or its bytes are not text in that charset."""
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not Base64: {text[:40]!r}") from exc
    return from_bytes(raw, charset)


def decode_destination(text: str, charset: str = AUTO) -> str:
    """Read ``destination`` in its own alphabet (and tolerate the standard one)."""
    return decode_field(text.translate(_DESTINATION_IN), charset)


def _aligned_fragments(raw: bytes, alphabet: dict[int, str] | None) -> set[str]:
    """The Base64 characters that ``raw`` alone decides, at each of the three byte offsets it
    can have inside a longer Base64 text (the characters it shares with its neighbours
    differ from text to text, so they are left out)."""
    fragments = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        first = -(-8 * shift // 6)  # the first character made only of raw's bits
        last = 8 * (shift + len(raw)) // 6  # one past the last such character
        fragment = encoded[first:last]
        fragments.add(fragment.translate(alphabet) if alphabet else fragment)
    return fragments


def wire_forms(value: str, charsets: tuple[str, ...] = CHARSETS) -> set[str]:
    """How ``value`` travels in a request: as it is and as its Base64 field (standard and
    ``destination`` alphabets) in each charset, each also URL-quoted as a form body or a URL
    writes it."""
    forms = {value}
    for charset in charsets:
        try:
            field = b64_field(value, charset)
        except UnicodeEncodeError:
            continue
        forms |= {field, field.translate(_DESTINATION_OUT)}
    return forms | {quoted for form in forms
                    for quoted in (quote(form, safe=""), quote_plus(form))}


def encoded_forms(value: str, charsets: tuple[str, ...] = CHARSETS) -> set[str]:
    """Every way ``value`` can appear in a body that echoes a request: each of its wire
    forms, whole and as the part it decides inside a longer Base64 text (an echo of a field,
    or of the whole request, Base64-encoded), in both alphabets; callers add URL-quoting."""
    forms: set[str] = set()
    for form in wire_forms(value, charsets):
        forms.add(form)
        for raw in _bytes_of(form, charsets):
            for alphabet in (None, _DESTINATION_OUT):
                forms |= _aligned_fragments(raw, alphabet)
    return {form for form in forms if form}


def _bytes_of(text: str, charsets: tuple[str, ...]) -> set[bytes]:
    """``text`` as each charset writes it (those that can)."""
    found = set()
    for charset in charsets:
        try:
            found.add(to_bytes(text, charset))
        except UnicodeEncodeError:
            continue
    return found
