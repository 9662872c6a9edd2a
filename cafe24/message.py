"""Message rules shared by the send form, the simulator and the bulk sender."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

SMS_LIMIT = 90  # EUC-KR bytes
LMS_LIMIT = 2000  # EUC-KR bytes
SUBJECT_LIMIT = 50  # EUC-KR bytes
CREDIT_COST = {"S": 1, "L": 3}  # per recipient
MAX_RECIPIENTS = 999  # 1,000 or more -> gateway -110

REFUSED_CHARS = ("됬",)  # the gateway answers -202 for these

KST = timezone(timedelta(hours=9), "KST")
RESERVATION_LEAD = timedelta(minutes=10)
RESERVATION_HORIZON = timedelta(days=365)  # no reservations further ahead than this
REPEAT_NUM_MIN, REPEAT_NUM_MAX = 1, 10
REPEAT_TIME_MIN, REPEAT_TIME_MAX = 15, 1440  # minutes: 15 minutes to 24 hours


@dataclass(frozen=True)
class Problem:
    """One validation problem, tied to a form field, in Korean and English."""

    field: str
    code: str
    ko: str
    en: str


# --- bytes, kind and cost -------------------------------------------------


def normalize_newlines(text: str) -> str:
    """Turn "\\r\\n" and lone "\\r" into "\\n", as the JS meter and the gateway see them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_text(text: str) -> str:
    """Normalise newlines and compose Unicode (NFC), as the JS meter and the gateway see text.

    Hangul pasted as decomposed jamo (NFD, e.g. from macOS) becomes syllables again,
    so "한" counts 2 bytes, not 6, and is not flagged as unsupported.
    """
    return unicodedata.normalize("NFC", normalize_newlines(text))


def euckr_length(text: str) -> int:
    """Count EUC-KR bytes of the NFC text: 1 per code point below 0x80, 2 for anything else."""
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
    """List, once each and in first-seen order, the characters EUC-KR cannot send (after NFC)."""
    seen: dict[str, None] = {}
    for ch in normalize_text(text):
        if ch not in seen and not _is_supported(ch):
            seen[ch] = None
    return list(seen)


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


# --- phone numbers ----------------------------------------------------------

# Invisible characters that ride along when numbers are pasted (a CSV's byte order mark,
# zero-width spaces and joiners, word joiner): removed before parsing, as in the JS.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
# Python's \s also matches \x1c-\x1f and \x85 (JavaScript's does not, but matches U+FEFF);
# the JS twin spells these out so both sides treat the same characters as spaces.
_PHONE_JUNK = re.compile(f"[\\s\\-.(){_INVISIBLE}]")
_REGIONAL = {
    *(f"03{d}" for d in "123"),
    *(f"04{d}" for d in "1234"),
    *(f"05{d}" for d in "12345"),
    *(f"06{d}" for d in "1234"),
}
_MOBILE_OLD = {"011", "016", "017", "018", "019"}
_MOBILE = {"010", *_MOBILE_OLD}
_MAX_PHONE_TOKENS = 5  # "+82 (0)10 1234 5678" is the most pieces a typed number has


def _split_digits(digits: str) -> tuple[str, ...] | None:
    """Split a domestic number's digits into its dashed parts, or None if invalid."""
    n = len(digits)
    if re.fullmatch(r"1[568]\d{6}", digits):
        return digits[:4], digits[4:]
    if digits.startswith("02") and n in (9, 10):
        return "02", digits[2:-4], digits[-4:]
    if re.fullmatch(r"050[2-8]\d{8}", digits):
        return digits[:4], digits[4:8], digits[8:]
    head = digits[:3]
    if head == "080" and n == 10:  # toll-free (080-XXX-XXXX), often a sender number
        return head, digits[3:6], digits[6:]
    if head in ("010", "070") and n == 11:
        return head, digits[3:7], digits[7:]
    if (head in _MOBILE_OLD or head in _REGIONAL) and n in (10, 11):
        return head, digits[3:-4], digits[-4:]
    return None


def _parts(raw: str) -> tuple[str, ...] | None:
    """Parse a typed number into its canonical parts, or None if it is not valid."""
    text = _PHONE_JUNK.sub("", raw)
    if text.startswith("+82"):
        text = text[3:]
    elif text.startswith("82"):
        text = text[2:]
    else:
        return _split_digits(text) if text.isascii() and text.isdigit() else None
    # +82 10-1234-5678 and +82 (0)10-1234-5678 are both common
    if not (text.isascii() and text.isdigit()):
        return None
    return _split_digits(text if text.startswith("0") else "0" + text)


def normalize_phone(raw: str) -> str | None:
    """Return a Korean number in canonical dashed form, or None if it is not valid."""
    parts = _parts(raw)
    return "-".join(parts) if parts else None


def split_sender(number: str) -> tuple[str, ...]:
    """Split a sender number into sphone1..3 parts; raise ValueError if invalid."""
    parts = _parts(number)
    if parts is None:
        raise ValueError(f"not a valid Korean phone number: {number!r}")
    return parts


def is_mobile(number: str) -> bool:
    """Tell whether a number is a mobile (010, 011, 016-019) number."""
    parts = _parts(number)
    return parts is not None and parts[0] in _MOBILE


# --- recipients ---------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One recipient: a canonical dashed number and an optional name."""

    phone: str
    name: str = ""


@dataclass(frozen=True)
class RecipientList:
    """Parsed recipients with the duplicates and invalid entries found on the way."""

    recipients: list[Recipient]
    duplicates: list[str]
    invalid: list[str]
    problems: list[Problem]

    @property
    def phones(self) -> list[str]:
        """The canonical numbers, in order."""
        return [r.phone for r in self.recipients]


def _collect(entries: list[tuple[str, str | None, str]], field: str) -> RecipientList:
    """Build a RecipientList from (raw, canonical or None, name) entries."""
    recipients: list[Recipient] = []
    seen: set[str] = set()
    duplicates: dict[str, None] = {}
    invalid: dict[str, None] = {}
    for raw, phone, name in entries:
        if phone is None:
            invalid[raw] = None
        elif phone in seen:
            duplicates[phone] = None
        else:
            seen.add(phone)
            recipients.append(Recipient(phone, name))

    problems: list[Problem] = []
    if not entries:
        problems.append(
            Problem(
                field,
                "no_recipients",
                "받는 사람 번호를 입력해 주세요",
                "Please enter at least one recipient number",
            )
        )
    if invalid:
        shown = ", ".join(invalid)
        problems.append(
            Problem(
                field,
                "invalid_phone",
                f"올바르지 않은 전화번호가 있습니다: {shown}",
                f"These are not valid phone numbers: {shown}",
            )
        )
    if len(recipients) > MAX_RECIPIENTS:
        count = len(recipients)
        problems.append(
            Problem(
                field,
                "too_many_recipients",
                f"받는 사람이 너무 많습니다: {count:,}명 / 한 번에 최대 {MAX_RECIPIENTS}명",
                f"Too many recipients: {count:,} / at most {MAX_RECIPIENTS} per send",
            )
        )
    return RecipientList(recipients, list(duplicates), list(invalid), problems)


_PHONE_TOKEN = re.compile(r"[0-9+\-.()]+")  # the only characters a piece of a number has


def _clean_entries(text: str) -> str:
    """Prepare pasted recipient text: NFC, invisible characters removed, \\x1c-\\x1f and
    \\x85 (spaces to Python, not to JavaScript) turned into plain spaces."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))
    return re.sub(r"[\x1c-\x1f\x85]", " ", text)


def _space_entries(chunk: str) -> list[tuple[str, str | None, str]]:
    """Split a chunk on spaces, keeping numbers typed with spaces ("010 1234 5678") whole."""
    tokens = chunk.split()
    entries: list[tuple[str, str | None, str]] = []
    pending: list[str] = []  # consecutive invalid tokens, reported as one entry
    i = 0
    while i < len(tokens):
        # The shortest run of tokens that makes a valid number: a valid number has
        # 8+ digits, so it never swallows the next number, and no proper token
        # prefix of a valid number is itself valid. Only runs of up to
        # _MAX_PHONE_TOKENS tokens that look like pieces of a number are tried,
        # so the work stays linear in the number of tokens.
        phone = None
        j = i
        while j < min(i + _MAX_PHONE_TOKENS, len(tokens)) and _PHONE_TOKEN.fullmatch(tokens[j]):
            j += 1
            phone = normalize_phone(" ".join(tokens[i:j]))
            if phone is not None:
                break
        if phone is None:
            pending.append(tokens[i])
            i += 1
            continue
        if pending:
            entries.append((" ".join(pending), None, ""))
            pending = []
        entries.append((" ".join(tokens[i:j]), phone, ""))
        i = j
    if pending:
        entries.append((" ".join(pending), None, ""))
    return entries


def parse_recipients(text: str, field: str = "rphone") -> RecipientList:
    """Parse numbers separated by commas, semicolons, newlines, tabs or spaces."""
    entries: list[tuple[str, str | None, str]] = []
    for chunk in re.split(r"[,;\r\n\t]+", _clean_entries(text)):
        entries.extend(_space_entries(chunk))
    return _collect(entries, field)


def _destination_entry(entry: str) -> tuple[str, str | None, str]:
    """Parse one "number|name" (or "number name", "number<TAB>name") entry."""
    if "|" in entry:
        number, name = entry.split("|", 1)
        return entry, normalize_phone(number), name.strip()
    whole = normalize_phone(entry)
    if whole is not None:
        return entry, whole, ""
    if "\t" in entry:
        number, name = entry.split("\t", 1)
        return entry, normalize_phone(number), name.strip()
    # The number itself may contain spaces ("+82 (0)10 1234 5678"): take the first split
    # whose left side is valid, trying only the first few, so a long line stays linear.
    for tried, match in enumerate(re.finditer(r"\s+", entry)):
        if tried >= _MAX_PHONE_TOKENS:
            break
        phone = normalize_phone(entry[: match.start()])
        if phone is not None:
            return entry, phone, entry[match.end() :].strip()
    return entry, None, ""


def parse_destination(text: str) -> RecipientList:
    """Parse "010-1234-5678|홍길동" entries separated by commas or newlines."""
    entries = [
        _destination_entry(entry.strip())
        for entry in re.split(r"[,\r\n]+", _clean_entries(text))
        if entry.strip()
    ]
    return _collect(entries, "destination")


def _clean_name(name: str) -> str:
    """Make a name safe inside the destination field, whose separators are "," and "|"."""
    return " ".join(re.sub(r"[,|]", " ", name).split())


def format_destination(recipients: list[Recipient]) -> str:
    """Render recipients as the gateway's destination field."""
    return ",".join(f"{r.phone}|{_clean_name(r.name)}" for r in recipients)


def format_rphone(recipients: list[Recipient]) -> str:
    """Render recipients as the gateway's rphone field."""
    return ",".join(r.phone for r in recipients)


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


def check_merge(msg: str, recipients: list[Recipient]) -> list[Problem]:
    """Flag "{name}" with nameless recipients, names that cannot be sent, and merged
    texts over the LMS limit."""
    msg = normalize_text(msg)
    problems: list[Problem] = []
    if NAME_PLACEHOLDER in msg:
        nameless = sum(1 for r in recipients if not r.name.strip())
        if nameless:
            problems.append(
                Problem(
                    "msg",
                    "name_placeholder_without_names",
                    f"메시지에 {{name}}이 있지만 이름이 없는 받는 사람이 {nameless:,}명 있습니다",
                    f"The message uses {{name}} but {nameless:,} recipient(s) have no name",
                )
            )
    problems.extend(check_names(recipients))
    problems.extend(check_merged_length(msg, recipients))
    return problems


def check_merged_length(msg: str, recipients: list[Recipient]) -> list[Problem]:
    """Flag a {name} merge over the LMS limit when the message alone is within it."""
    longest = longest_merged(msg, recipients)
    if longest is not None and longest.length > LMS_LIMIT and euckr_length(msg) <= LMS_LIMIT:
        return [_too_long_problem(longest.length)]
    return []


# --- reservation and repeat ---------------------------------------------------

_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_TIME = re.compile(r"(\d{2}):?(\d{2})(?::?(\d{2}))?")


def _parse_date(rdate: str) -> tuple[int, int, int]:
    """Parse "YYYYMMDD" or "YYYY-MM-DD"; raise ValueError if malformed."""
    m = _DATE.fullmatch(rdate.strip())
    if not m:
        raise ValueError(f"malformed reservation date: {rdate!r}")
    year, month, day = (int(g) for g in m.groups())
    datetime(year, month, day)  # raises ValueError for 2025-02-30 and the like
    return year, month, day


def _parse_time(rtime: str) -> tuple[int, int, int]:
    """Parse "HHMMSS", "HHMM", "HH:MM" or "HH:MM:SS"; raise ValueError if malformed."""
    m = _TIME.fullmatch(rtime.strip())
    if not m:
        raise ValueError(f"malformed reservation time: {rtime!r}")
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"reservation time out of range: {rtime!r}")
    return hour, minute, second


def parse_reservation(rdate: str, rtime: str) -> datetime | None:
    """Parse a reservation date and time into an aware KST datetime; None if both empty."""
    if not rdate.strip() and not rtime.strip():
        return None
    return datetime(*_parse_date(rdate), *_parse_time(rtime), tzinfo=KST)


def _as_kst(when: datetime) -> datetime:
    """Convert to KST; a naive datetime is taken to be KST already."""
    return when.replace(tzinfo=KST) if when.tzinfo is None else when.astimezone(KST)


def check_reservation(rdate: str, rtime: str, now: datetime | None = None) -> list[Problem]:
    """Check that a reservation is complete, valid, at least 10 minutes and at most
    365 days ahead."""
    has_date, has_time = bool(rdate.strip()), bool(rtime.strip())
    if not has_date and not has_time:
        return []
    if not has_date or not has_time:
        return [
            Problem(
                "rtime" if has_date else "rdate",
                "reservation_invalid",
                "예약하려면 날짜와 시간을 모두 입력해 주세요",
                "To reserve, please enter both a date and a time",
            )
        ]
    problems = []
    try:
        _parse_date(rdate)
    except ValueError:
        problems.append(
            Problem(
                "rdate",
                "reservation_invalid",
                "예약 날짜가 올바르지 않습니다",
                "The reservation date is not valid",
            )
        )
    try:
        _parse_time(rtime)
    except ValueError:
        problems.append(
            Problem(
                "rtime",
                "reservation_invalid",
                "예약 시간이 올바르지 않습니다",
                "The reservation time is not valid",
            )
        )
    if problems:
        return problems

    when = parse_reservation(rdate, rtime)
    now = _as_kst(now) if now is not None else datetime.now(KST)
    if when is not None and when < now + RESERVATION_LEAD:
        lead = int(RESERVATION_LEAD.total_seconds() // 60)
        problems.append(
            Problem(
                "rtime",
                "reservation_too_soon",
                f"예약 시간은 지금부터 {lead}분 이후여야 합니다",
                f"The reservation must be at least {lead} minutes from now",
            )
        )
    elif when is not None and when > now + RESERVATION_HORIZON:
        days = RESERVATION_HORIZON.days
        problems.append(
            Problem(
                "rdate",
                "reservation_too_far",
                f"예약은 지금부터 {days}일 이내로만 할 수 있습니다",
                f"The reservation must be at most {days} days from now",
            )
        )
    return problems


def format_reservation(when: datetime) -> tuple[str, str]:
    """Render a datetime as the gateway's ("YYYYMMDD", "HHMMSS") in KST."""
    kst = _as_kst(when)
    return kst.strftime("%Y%m%d"), kst.strftime("%H%M%S")


def _as_int(value: str | int | None) -> int | None:
    """Read a whole number from a form value, or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip().lstrip("0") or "0"
        # int() refuses over 4,300 digits; anything this long is out of range anyway.
        return int(digits) if len(digits) <= 18 else 10**18
    return None


def check_repeat(flag: str, num: str | int | None, minutes: str | int | None) -> list[Problem]:
    """Check repeat settings when repeatFlag is "Y": 1-10 repeats, 15 minutes to 24 hours apart."""
    if flag != "Y":
        return []
    problems = []
    count = _as_int(num)
    if count is None or not REPEAT_NUM_MIN <= count <= REPEAT_NUM_MAX:
        problems.append(
            Problem(
                "repeatNum",
                "repeat_num",
                f"반복 횟수는 {REPEAT_NUM_MIN}~{REPEAT_NUM_MAX} 사이의 정수여야 합니다",
                f"The repeat count must be a whole number from {REPEAT_NUM_MIN} "
                f"to {REPEAT_NUM_MAX}",
            )
        )
    interval = _as_int(minutes)
    if interval is None or not REPEAT_TIME_MIN <= interval <= REPEAT_TIME_MAX:
        problems.append(
            Problem(
                "repeatTime",
                "repeat_time",
                f"반복 간격은 {REPEAT_TIME_MIN}~{REPEAT_TIME_MAX:,}분(24시간) "
                "사이의 정수여야 합니다",
                f"The repeat interval must be a whole number of minutes from {REPEAT_TIME_MIN} "
                f"to {REPEAT_TIME_MAX:,} (24 hours)",
            )
        )
    return problems
