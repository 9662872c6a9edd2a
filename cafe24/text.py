"""Text as the gateway counts it: composed, newlines, EUC-KR bytes, unsendable characters.

Also the library's ``Problem``: a rule broken, named by a code with its parameters. The
library never words a problem; the app turns ``(code, params)`` into a sentence.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

#: Every ``Problem.code`` the library reports, so an app can word each one.
PROBLEM_CODES = (
    # the message and its subject (message.check_message, check_merged_length)
    "msg_empty",  # no params
    "msg_too_long",  # length, limit (EUC-KR bytes)
    "unsupported_chars",  # chars (space-separated), count; on msg or subject
    "refused_char",  # chars: the gateway's -202 characters ('됬')
    "subject_too_long",  # length, limit (bytes), hangul (characters that fit)
    "control_chars",  # chars (U+XXXX, space-separated), count; on msg (\n and \t allowed)
    # or subject
    "subject_line_break",  # no params: a subject is one line
    # names in destination and the {name} placeholder (message.check_names, check_placeholder)
    "name_too_long",  # count: names longer than limit (characters, composed)
    "name_unsupported_chars",  # chars, count
    "name_refused_char",  # chars
    "name_control_chars",  # chars (U+XXXX, space-separated), count
    "name_placeholder_without_names",  # count: recipients without a name
    "name_placeholder_without_destination",  # no params: {name} with plain rphone numbers
    # sender and recipients (calls.SendRequest.problems, phone.check_recipients)
    "no_sender",  # no params
    "invalid_sender",  # no params
    "both_recipient_fields",  # no params
    "no_recipients",  # no params
    "invalid_phone",  # numbers (comma-separated, as typed), count
    "too_many_recipients",  # count, limit
    # reservation and repeat (schedule.check_reservation, check_repeat)
    "reservation_incomplete",  # no params: a date without a time or the other way round
    "reservation_date_invalid",  # no params
    "reservation_time_invalid",  # no params
    "reservation_too_soon",  # minutes: the least lead time
    "reservation_too_far",  # days: the furthest ahead
    "repeat_num",  # min, max
    "repeat_time",  # min, max (minutes), hours (max in hours)
)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One rule a request breaks: the form field it belongs to, a code from
    ``PROBLEM_CODES`` and the values a sentence about it needs."""

    field: str
    code: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # An own plain dict: the caller's mapping may change later, and a dict keeps
        # dataclasses.asdict() and JSON working (a MappingProxyType would not).
        object.__setattr__(self, "params", dict(self.params))

    def __str__(self) -> str:
        """Developer text for logs and exception messages (people get the app's words)."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.field}: {self.code}" + (f" ({shown})" if shown else "")


def normalize_newlines(text: str) -> str:
    """Turn "\\r\\n" and lone "\\r" into "\\n", as the JS meter and the gateway see them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# A character followed by combining marks or conjoining Hangul jamo: the only places
# where composing changes anything we want changed.
_COMBINERS = "\u0300-\u036f\u1100-\u11ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_COMBINING_RUN = re.compile(f".?[{_COMBINERS}]+")
_COMBINING = re.compile(f"[{_COMBINERS}]")


def compose(text: str) -> str:
    """Compose what was pasted decomposed (NFD, e.g. Hangul jamo from macOS) into one
    character each, leaving every other character as it is.

    Full NFC would also replace single characters: KS X 1001's Angstrom sign U+212B
    would become U+00C5, which EUC-KR lacks, so a sendable text would be refused.
    """
    if _COMBINING.search(text) is None:  # nearly every text: one scan, nothing to compose
        return text
    return _COMBINING_RUN.sub(lambda run: unicodedata.normalize("NFC", run.group()), text)


def is_normalized(text: str) -> bool:
    """True when ``text`` has nothing ``normalize_text`` would change (no "\\r", nothing to
    compose), so a caller with many texts may skip it."""
    return "\r" not in text and _COMBINING.search(text) is None


@lru_cache(maxsize=1024)
def normalize_text(text: str) -> str:
    """Newlines as "\n" and decomposed text composed, as the JS meter and the gateway see it.

    So "한" pasted as jamo counts 2 bytes, not 6, and is not flagged as unsupported. Kept
    for the last texts seen: one send's checks normalise the same message a dozen times.
    """
    return compose(normalize_newlines(text))


def euckr_length(text: str) -> int:
    """Count EUC-KR bytes of the normalised text: 1 per code point below 0x80, else 2."""
    # Deliberately not text.encode(): characters EUC-KR cannot hold still count 2
    # (unsupported_chars lists them), and the JS meter must match exactly.
    text = normalize_text(text)
    return 2 * len(text) - len(text.encode("ascii", "ignore"))  # ASCII 1, the rest 2


@lru_cache(maxsize=4096)
def is_supported(ch: str) -> bool:
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
    text = normalize_text(text)
    try:  # nearly every text: one encode says all of it is KS X 1001 (2 bytes a character)
        if len(text.encode("euc_kr")) == euckr_length(text):
            return []
    except UnicodeEncodeError:
        pass
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in seen and not is_supported(ch):
            seen[ch] = None
    return list(seen)


#: Control characters a message may hold: its line breaks (normalised to "\n") and tabs.
MESSAGE_CONTROLS = "\n\t"
#: Unicode's control characters (category Cc): C0, DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def control_chars(text: str, allowed: str = "") -> list[str]:
    """List, once each and in first-seen order, the control characters (C0, DEL, C1) in
    the normalised text, except those in ``allowed``: NUL and its kind are no text a phone
    shows, and the gateway would pass them on."""
    return list(dict.fromkeys(ch for ch in _CONTROL.findall(normalize_text(text))
                              if ch not in allowed))


def code_points(chars: list[str]) -> str:
    """Characters that cannot be shown, named by code point ("U+0000 U+001B")."""
    return " ".join(f"U+{ord(ch):04X}" for ch in chars)
