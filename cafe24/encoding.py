"""Field encodings of the Cafe24 gateway, shared by the client and the simulator."""

from __future__ import annotations

import base64
import binascii

CHARSETS = ("utf-8", "euc-kr")
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


def from_bytes(raw: bytes) -> str:
    """Decode wire bytes: valid UTF-8 as UTF-8, anything else as CP949 (the gateway's rule)."""
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


def decode_field(text: str) -> str:
    """Read one Base64 field; raises ValueError when it is not Base64."""
    try:
        return from_bytes(_b64decode(text))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not Base64: {text[:40]!r}") from exc


def decode_destination(text: str) -> str:
    """Read ``destination`` in its own alphabet (and tolerate the standard one)."""
    return decode_field(text.translate(_DESTINATION_IN))
