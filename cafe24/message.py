"""The message's own rules: SMS or LMS, its cost and checks, and the ``{name}`` merge.

Text counting lives in ``cafe24.text``, phone numbers and recipient lists in
``cafe24.phone``, reservations and repeats in ``cafe24.schedule``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .phone import Recipient
from .text import (
    MESSAGE_CONTROLS,
    Problem,
    code_points,
    control_chars,
    euckr_length,
    normalize_text,
    unsupported_chars,
)

SMS_LIMIT = 90  # EUC-KR bytes
LMS_LIMIT = 2000  # EUC-KR bytes
SUBJECT_LIMIT = 50  # EUC-KR bytes
CREDIT_COST = {"S": 1, "L": 3}  # per recipient

REFUSED_CHARS = ("됬",)  # the gateway answers -202 for these


def messages_bought(credits: int, kind: str) -> int:
    """How many one-recipient messages of ``kind`` ("S" or "L") ``credits`` pay for."""
    return credits // CREDIT_COST[kind]


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


def _chars_problem(field: str, code: str, chars: list[str]) -> Problem:
    """A problem naming characters, shown space-separated in first-seen order."""
    return Problem(field, code, {"chars": " ".join(chars), "count": len(chars)})


def _too_long_problem(length: int) -> Problem:
    """The msg_too_long problem for a message of this many bytes."""
    return Problem("msg", "msg_too_long", {"length": length, "limit": LMS_LIMIT})


def _subject_problems(subject: str) -> list[Problem]:
    """Check an LMS subject: its length and characters EUC-KR cannot send."""
    problems = []
    length = euckr_length(subject)
    if length > SUBJECT_LIMIT:
        problems.append(Problem("subject", "subject_too_long",
                                {"length": length, "limit": SUBJECT_LIMIT,
                                 "hangul": SUBJECT_LIMIT // 2}))
    unsupported = unsupported_chars(subject)
    if unsupported:
        problems.append(_chars_problem("subject", "unsupported_chars", unsupported))
    return problems


def _controls_problem(field: str, code: str, chars: list[str]) -> Problem:
    """A problem naming control characters by their code points."""
    return Problem(field, code, {"chars": code_points(chars), "count": len(chars)})


def check_lines(msg: str, subject: str = "") -> list[Problem]:
    """Control characters in the message (line breaks and tabs are text there) or the
    subject, and a subject of more than one line (it would break the gateway's fields)."""
    problems = []
    in_msg = control_chars(msg, MESSAGE_CONTROLS)
    if in_msg:
        problems.append(_controls_problem("msg", "control_chars", in_msg))
    subject = normalize_text(subject)
    if "\n" in subject:
        problems.append(Problem("subject", "subject_line_break"))
    in_subject = control_chars(subject.replace("\n", ""))
    if in_subject:
        problems.append(_controls_problem("subject", "control_chars", in_subject))
    return problems


def check_message(msg: str, subject: str = "", lms: bool = False) -> MessageCheck:
    """Check a message (and an LMS subject) against the gateway's rules."""
    msg, subject = normalize_text(msg), normalize_text(subject)
    kind = message_kind(msg, lms)
    length = euckr_length(msg)
    limit = SMS_LIMIT if kind == "S" else LMS_LIMIT
    unsupported = unsupported_chars(msg)
    problems: list[Problem] = []

    if not msg.strip():
        problems.append(Problem("msg", "msg_empty"))
    problems.extend(check_lines(msg, subject))
    if length > LMS_LIMIT:
        problems.append(_too_long_problem(length))

    refused = [ch for ch in REFUSED_CHARS if ch in msg]
    others = [ch for ch in unsupported if ch not in refused]
    if others:
        problems.append(_chars_problem("msg", "unsupported_chars", others))
    if refused:
        problems.append(Problem("msg", "refused_char", {"chars": " ".join(refused)}))
    if kind == "L":
        problems.extend(_subject_problems(subject))
    return MessageCheck(kind, length, limit, unsupported, problems)


# --- {name} merge ---------------------------------------------------------------

NAME_PLACEHOLDER = "{name}"
#: The most characters a recipient's name may have (composed), on every way in.
NAME_LIMIT = 100


#: A merge field in a text: ``{name}`` or ``{column}`` (any other column of a bulk list,
#: merged by the app), its name 1 to ``MERGE_FIELD_MAX`` characters without braces or spaces.
MERGE_FIELD_MAX = 40
MERGE_FIELD = re.compile(r"\{([^{}\s]{1," + str(MERGE_FIELD_MAX) + r"})\}")


def merge_fields(msg: str) -> list[str]:
    """The merge fields a text holds (``{name}`` -> ``name``), once each, in first-seen order."""
    return list(dict.fromkeys(MERGE_FIELD.findall(normalize_text(msg))))


def merge_name(msg: str, name: str) -> str:
    """Replace every "{name}" in the message with the name (the result normalised)."""
    return normalize_text(normalize_text(msg).replace(NAME_PLACEHOLDER, normalize_text(name)))


@dataclass(frozen=True)
class MergedMessage:
    """The text one recipient receives, with its EUC-KR length."""

    recipient: Recipient
    text: str
    length: int


def merge_all(msg: str, recipients: Sequence[Recipient]) -> list[MergedMessage]:
    """Merge the message for every recipient, in order (for showing them: judging a send
    needs only ``longest_merge_length``)."""
    merged = []
    for recipient in recipients:
        text = merge_name(msg, recipient.name)
        merged.append(MergedMessage(recipient, text, euckr_length(text)))
    return merged


def _longest_name(recipients: Sequence[Recipient], merges: bool = True,
                  ) -> tuple[Recipient, int] | None:
    """The recipient whose name has the most EUC-KR bytes (the first on ties), and them;
    the first when nothing ``merges`` (every message is the same then)."""
    best: tuple[Recipient, int] | None = None
    for recipient in recipients if merges else recipients[:1]:
        length = euckr_length(recipient.name)
        if best is None or length > best[1]:
            best = (recipient, length)
    return best


def longest_merge_length(msg: str, recipients: Sequence[Recipient]) -> int | None:
    """The EUC-KR length of the longest ``{name}`` merge (None without recipients), found
    without merging: the message's bytes with each placeholder's replaced by the longest
    name's. Work in proportion to the input, however many placeholders and names.

    It is the merged text's own length whenever the text can be sent: the two differ only
    where composing joins a name to the text around it, and every character that can be
    joined so (combining marks, conjoining jamo) is one EUC-KR lacks (tests/cafe24).
    """
    text = normalize_text(msg)
    placeholders = text.count(NAME_PLACEHOLDER)
    longest = _longest_name(recipients, placeholders > 0)
    if longest is None:
        return None
    return euckr_length(text) + placeholders * (longest[1] - len(NAME_PLACEHOLDER))


def longest_merged(msg: str, recipients: Sequence[Recipient]) -> MergedMessage | None:
    """The longest merged message (the first on ties), or None without recipients: the
    longest name found by its length alone, and only its message merged."""
    longest = _longest_name(recipients, NAME_PLACEHOLDER in normalize_text(msg))
    if longest is None:
        return None
    text = merge_name(msg, longest[0].name)
    return MergedMessage(longest[0], text, euckr_length(text))


def name_chars(recipients: Sequence[Recipient]) -> tuple[list[str], list[str]]:
    """Return (unsupported, refused): characters in any name that cannot be sent.

    Every name is checked, whether or not the message uses {name}: the destination
    field carries them all. Each list holds each character once, in first-seen order;
    refused characters ('됬') are not repeated in the unsupported list.
    """
    names = normalize_text("\n".join(r.name for r in recipients))
    refused = [ch for ch in REFUSED_CHARS if ch in names]
    unsupported = [ch for ch in unsupported_chars(names) if ch not in refused]
    return unsupported, refused


def check_names(recipients: Sequence[Recipient]) -> list[Problem]:
    """Flag names (destination) longer than ``NAME_LIMIT`` and characters in them that
    EUC-KR or the gateway cannot send, control characters (a name is one line of text)
    among them. Every name travels, whether or not the message uses {name}."""
    problems: list[Problem] = []
    too_long = sum(1 for r in recipients if len(normalize_text(r.name)) > NAME_LIMIT)
    if too_long:
        problems.append(Problem("destination", "name_too_long",
                                {"count": too_long, "limit": NAME_LIMIT}))
    unsupported, refused = name_chars(recipients)
    controls = control_chars("".join(r.name for r in recipients))
    if controls:
        problems.append(_controls_problem("destination", "name_control_chars", controls))
    if unsupported:
        problems.append(_chars_problem("destination", "name_unsupported_chars", unsupported))
    if refused:
        problems.append(Problem("destination", "name_refused_char", {"chars": " ".join(refused)}))
    return problems


def check_merged_length(msg: str, recipients: Sequence[Recipient], *,
                        longest: int | None = None) -> list[Problem]:
    """Flag a {name} merge over the LMS limit when the message alone is within it
    (``longest``: its ``longest_merge_length``, when the caller has it already)."""
    if longest is None:
        longest = longest_merge_length(msg, recipients)
    if longest is not None and longest > LMS_LIMIT and euckr_length(msg) <= LMS_LIMIT:
        return [_too_long_problem(longest)]
    return []


def check_placeholder(msg: str, named: Sequence[Recipient] | None) -> list[Problem]:
    """Flag a "{name}" that nothing fills: sent to plain numbers (``named`` is None, the
    rphone field), or to recipients of whom some have no name.

    Not a gateway rule (it sends "{name}" or an empty name as it is), so
    ``SendRequest.problems`` leaves it to the form, which knows what was meant.
    """
    if NAME_PLACEHOLDER not in normalize_text(msg):
        return []
    if named is None:
        return [Problem("msg", "name_placeholder_without_destination")]
    nameless = sum(1 for r in named if not r.name.strip())
    if not nameless:
        return []
    return [Problem("msg", "name_placeholder_without_names", {"count": nameless})]
