"""Text as the gateway counts it: composed, newlines, EUC-KR bytes, unsendable characters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Problem:
    """One validation problem, tied to a form field, in Korean and English."""

    field: str
    code: str
    ko: str
    en: str


def normalize_newlines(text: str) -> str:
    """Turn "\\r\\n" and lone "\\r" into "\\n", as the JS meter and the gateway see them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# A character followed by combining marks or conjoining Hangul jamo: the only places
# where composing changes anything we want changed.
_COMBINERS = "\u0300-\u036f\u1100-\u11ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_COMBINING_RUN = re.compile(f".?[{_COMBINERS}]+")


def compose(text: str) -> str:
    """Compose what was pasted decomposed (NFD, e.g. Hangul jamo from macOS) into one
    character each, leaving every other character as it is.

    Full NFC would also replace single characters: KS X 1001's Angstrom sign U+212B
    would become U+00C5, which EUC-KR lacks, so a sendable text would be refused.
    """
    return _COMBINING_RUN.sub(lambda run: unicodedata.normalize("NFC", run.group()), text)


def normalize_text(text: str) -> str:
    """Newlines as "\n" and decomposed text composed, as the JS meter and the gateway see it.

    So "한" pasted as jamo counts 2 bytes, not 6, and is not flagged as unsupported.
    """
    return compose(normalize_newlines(text))


def euckr_length(text: str) -> int:
    """Count EUC-KR bytes of the normalised text: 1 per code point below 0x80, else 2."""
    # Deliberately not text.encode(): characters EUC-KR cannot hold still count 2
    # (they are flagged by unsupported_chars), and the JS meter must match exactly.
    return sum(1 if ord(ch) < 0x80 else 2 for ch in normalize_text(text))


@lru_cache(maxsize=4096)
def _is_supported(ch: str) -> bool:
    """Tell whether one character is ASCII or a single KS X 1001 (2-byte EUC-KR) character."""
    if ord(ch) < 0x80:
        return True
    try:
        encoded = ch.encode("euc_kr")
    except UnicodeEncodeError:
        return False
    # CPython's euc_kr codec writes the 8,822 Hangul syllables outside KS X 1001
    # (똠, 쀍, 됬, ...) as 8-byte KS X 1001:1998 make-up sequences; the gateway and
    # carriers do not understand those, so they count as unsupported too.
    return len(encoded) == 2


def unsupported_chars(text: str) -> list[str]:
    """List, once each and in first-seen order, the characters EUC-KR cannot send
    (in the normalised text)."""
    seen: dict[str, None] = {}
    for ch in normalize_text(text):
        if ch not in seen and not _is_supported(ch):
            seen[ch] = None
    return list(seen)
