"""Message rules shared by the send form, the simulator and the bulk sender.

The rules are split by subject (``text``, ``phone``, ``schedule``); this module holds
the message's own (kind, cost, checks, ``{name}`` merge) and re-exports the rest, so
``from cafe24 import message`` reaches every rule, as the JavaScript mirror does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .phone import (
    MAX_RECIPIENTS,
    Recipient,
    RecipientList,
    format_destination,
    format_rphone,
    is_mobile,
    normalize_phone,
    parse_destination,
    parse_recipients,
    split_sender,
)
from .schedule import (
    KST,
    REPEAT_NUM_MAX,
    REPEAT_NUM_MIN,
    REPEAT_TIME_MAX,
    REPEAT_TIME_MIN,
    RESERVATION_HORIZON,
    RESERVATION_LEAD,
    check_repeat,
    check_reservation,
    format_reservation,
    parse_reservation,
)
from .text import (
    Problem,
    _is_supported,
    euckr_length,
    normalize_newlines,
    normalize_text,
    unsupported_chars,
)

SMS_LIMIT = 90  # EUC-KR bytes
LMS_LIMIT = 2000  # EUC-KR bytes
SUBJECT_LIMIT = 50  # EUC-KR bytes
CREDIT_COST = {"S": 1, "L": 3}  # per recipient

REFUSED_CHARS = ("됬",)  # the gateway answers -202 for these


def message_kind(text: str, lms: bool = False) -> str:
    """Return "S" for a short message that fits an SMS (unless LMS is forced), else "L"."""
    return "S" if not lms and euckr_length(text) <= SMS_LIMIT else "L"


def credit_cost(kind: str, recipients: int) -> int:
    """Return the credits one send of this kind to this many recipients uses."""
    return CREDIT_COST[kind] * recipients


@dataclass(frozen=True)
class MessageCheck:
    """The outcome of check_message: kind, byte count, limit and problems."""

    kind: str
    length: int
    limit: int
    unsupported: list[str]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when nothing stops the message from being sent."""
        return not self.problems


def _chars_problem(field: str, chars: list[str]) -> Problem:
    """Build the unsupported_chars problem for these characters."""
    shown = " ".join(chars)
    return Problem(
        field,
        "unsupported_chars",
        f"EUC-KR로 보낼 수 없는 문자가 있습니다: {shown}",
        f"These characters cannot be sent in EUC-KR: {shown}",
    )


def _too_long_problem(length: int) -> Problem:
    """Build the msg_too_long problem for a message of this many bytes."""
    return Problem(
        "msg",
        "msg_too_long",
        f"메시지가 너무 깁니다: {length:,}바이트 / 최대 {LMS_LIMIT:,}바이트",
        f"The message is too long: {length:,} bytes / at most {LMS_LIMIT:,} bytes",
    )


def check_message(msg: str, subject: str = "", lms: bool = False) -> MessageCheck:
    """Check a message (and an LMS subject) against the gateway's rules."""
    msg, subject = normalize_text(msg), normalize_text(subject)
    kind = message_kind(msg, lms)
    length = euckr_length(msg)
    limit = SMS_LIMIT if kind == "S" else LMS_LIMIT
    unsupported = unsupported_chars(msg)
    problems: list[Problem] = []

    if not msg.strip():
        problems.append(
            Problem("msg", "msg_empty", "메시지를 입력해 주세요", "Please enter a message")
        )
    if length > LMS_LIMIT:
        problems.append(_too_long_problem(length))

    refused = [ch for ch in REFUSED_CHARS if ch in msg]
    others = [ch for ch in unsupported if ch not in refused]
    if others:
        problems.append(_chars_problem("msg", others))
    if refused:
        problems.append(
            Problem(
                "msg",
                "refused_char",
                "'됬'은 보낼 수 없습니다(게이트웨이 오류 -202). '됐'으로 고쳐 주세요",
                "The gateway refuses '됬' (error -202); please write '됐' instead",
            )
        )

    if kind == "L":
        subject_length = euckr_length(subject)
        if subject_length > SUBJECT_LIMIT:
            problems.append(
                Problem(
                    "subject",
                    "subject_too_long",
                    f"제목이 너무 깁니다: {subject_length:,}바이트 / "
                    f"최대 {SUBJECT_LIMIT}바이트(한글 {SUBJECT_LIMIT // 2}자)",
                    f"The subject is too long: {subject_length:,} bytes / "
                    f"at most {SUBJECT_LIMIT} bytes ({SUBJECT_LIMIT // 2} Hangul characters)",
                )
            )
        subject_unsupported = unsupported_chars(subject)
        if subject_unsupported:
            problems.append(_chars_problem("subject", subject_unsupported))

    return MessageCheck(kind, length, limit, unsupported, problems)


# --- {name} merge ---------------------------------------------------------------

NAME_PLACEHOLDER = "{name}"


def merge_name(msg: str, name: str) -> str:
    """Replace every "{name}" in the message with the name (the result normalised)."""
    return normalize_text(normalize_text(msg).replace(NAME_PLACEHOLDER, normalize_text(name)))


@dataclass(frozen=True)
class MergedMessage:
    """The text one recipient receives, with its EUC-KR length."""

    recipient: Recipient
    text: str
    length: int


def merge_all(msg: str, recipients: list[Recipient]) -> list[MergedMessage]:
    """Merge the message for every recipient, in order."""
    merged = []
    for recipient in recipients:
        text = merge_name(msg, recipient.name)
        merged.append(MergedMessage(recipient, text, euckr_length(text)))
    return merged


def longest_merged(msg: str, recipients: list[Recipient]) -> MergedMessage | None:
    """Return the longest merged message (the first on ties), or None without recipients."""
    merged = merge_all(msg, recipients)
    return max(merged, key=lambda m: m.length) if merged else None


def name_chars(recipients: list[Recipient]) -> tuple[list[str], list[str]]:
    """Return (unsupported, refused): characters in any name that cannot be sent.

    Every name is checked, whether or not the message uses {name}: the destination
    field carries them all. Each list holds each character once, in first-seen order;
    refused characters ('됬') are not repeated in the unsupported list.
    """
    names = normalize_text("\n".join(r.name for r in recipients))
    refused = [ch for ch in REFUSED_CHARS if ch in names]
    unsupported = [ch for ch in unsupported_chars(names) if ch not in refused]
    return unsupported, refused


def check_names(recipients: list[Recipient]) -> list[Problem]:
    """Flag characters in the names (destination) that EUC-KR or the gateway cannot send."""
    unsupported, refused = name_chars(recipients)
    problems: list[Problem] = []
    if unsupported:
        shown = " ".join(unsupported)
        problems.append(
            Problem(
                "destination",
                "name_unsupported_chars",
                f"이름 목록에 EUC-KR로 보낼 수 없는 문자가 있습니다: {shown}",
                f"The names list has characters that cannot be sent in EUC-KR: {shown}",
            )
        )
    if refused:
        problems.append(
            Problem(
                "destination",
                "name_refused_char",
                "이름 목록의 '됬'은 보낼 수 없습니다(게이트웨이 오류 -202). '됐'으로 고쳐 주세요",
                "The gateway refuses '됬' in the names list (error -202); "
                "please write '됐' instead",
            )
        )
    return problems


def check_nameless(msg: str, recipients: list[Recipient]) -> list[Problem]:
    """Flag "{name}" in the message when some recipients have no name."""
    if NAME_PLACEHOLDER not in msg:
        return []
    nameless = sum(1 for r in recipients if not r.name.strip())
    if not nameless:
        return []
    return [
        Problem(
            "msg",
            "name_placeholder_without_names",
            f"메시지에 {{name}}이 있지만 이름이 없는 받는 사람이 {nameless:,}명 있습니다",
            f"The message uses {{name}} but {nameless:,} recipient(s) have no name",
        )
    ]


def check_merge(msg: str, recipients: list[Recipient]) -> list[Problem]:
    """Flag "{name}" with nameless recipients, names that cannot be sent, and merged
    texts over the LMS limit."""
    msg = normalize_text(msg)
    return [*check_nameless(msg, recipients), *check_names(recipients),
            *check_merged_length(msg, recipients)]


def check_merged_length(msg: str, recipients: list[Recipient]) -> list[Problem]:
    """Flag a {name} merge over the LMS limit when the message alone is within it."""
    longest = longest_merged(msg, recipients)
    if longest is not None and longest.length > LMS_LIMIT and euckr_length(msg) <= LMS_LIMIT:
        return [_too_long_problem(longest.length)]
    return []


__all__ = [
    "CREDIT_COST", "KST", "LMS_LIMIT", "MAX_RECIPIENTS", "NAME_PLACEHOLDER", "REFUSED_CHARS",
    "REPEAT_NUM_MAX", "REPEAT_NUM_MIN", "REPEAT_TIME_MAX", "REPEAT_TIME_MIN",
    "RESERVATION_HORIZON", "RESERVATION_LEAD", "SMS_LIMIT", "SUBJECT_LIMIT", "MergedMessage",
    "MessageCheck", "Problem", "Recipient", "RecipientList", "_is_supported", "check_merge",
    "check_merged_length", "check_nameless", "check_message", "check_names", "check_repeat",
    "check_reservation",
    "credit_cost", "euckr_length", "format_destination", "format_reservation", "format_rphone",
    "is_mobile", "longest_merged", "merge_all", "merge_name", "message_kind", "name_chars",
    "normalize_newlines", "normalize_phone", "normalize_text", "parse_destination",
    "parse_recipients", "parse_reservation", "split_sender", "unsupported_chars",
]
