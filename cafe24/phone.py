"""Korean phone numbers and recipient lists, as typed or pasted."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from .text import Problem, compose

MAX_RECIPIENTS = 999  # 1,000 or more -> gateway -110

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


@lru_cache(maxsize=4096)
def _parts(raw: str) -> tuple[str, ...] | None:
    """Parse a typed number into its canonical parts, or None if it is not valid (kept
    for the last few thousand numbers: a bulk batch's 999 are read, judged, encoded and
    logged one after another)."""
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


# --- recipients ---------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One recipient: a phone number (canonical dashed form once parsed) and an optional name."""

    phone: str
    name: str = ""


@dataclass(frozen=True)
class RecipientList:
    """What a recipient parser found: the recipients in order, the numbers typed again,
    and the entries that are not phone numbers, as typed. It judges nothing:
    ``SendRequest.problems`` (through ``check_recipients``) does."""

    recipients: list[Recipient]
    duplicates: list[str]
    invalid: list[str]
    name_first: int = 0  # names-list entries read as "name, number" (Excel's order)

    @property
    def phones(self) -> list[str]:
        """The canonical numbers, in order."""
        return [r.phone for r in self.recipients]

    @property
    def entries(self) -> tuple[Recipient, ...]:
        """Everything typed, for a SendRequest: the recipients, then each entry that is not
        a number (with no name), so the request's one judge reports those too."""
        return (*self.recipients, *(Recipient(raw) for raw in self.invalid))


def _collect(entries: list[tuple[str, str | None, str]]) -> RecipientList:
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
    return RecipientList(recipients, list(duplicates), list(invalid))


def _reads_as_one(entry: str) -> bool:
    """Tell whether one recipient entry is one phone number, as the recipient parser reads it.

    A parsed list hands over canonical numbers (the quick path). Anything else is read by
    the parser itself, so an entry it called "not a number" ("0 1 0 1 2 3 4 5 6 7 8": too
    many pieces for one typed number) is not taken for one here.
    """
    phone = normalize_phone(entry)
    if phone is None or phone == entry:
        return phone is not None
    parsed = parse_recipients(entry)
    return len(parsed.recipients) == 1 and not parsed.invalid


def invalid_phone(entries: Sequence[str], field: str) -> Problem:
    """The problem of entries (as typed) that are not phone numbers, each named once."""
    shown = list(dict.fromkeys(entries))
    return Problem(field, "invalid_phone", {"numbers": ", ".join(shown), "count": len(shown)})


def check_recipients(phones: Sequence[str], field: str = "rphone") -> list[Problem]:
    """Judge recipient entries: none at all, entries that are not numbers, too many numbers.

    Entries as typed or canonical (``RecipientList.entries``); ``field`` is the form field
    they came from (``rphone`` or ``destination``).
    """
    if not phones:
        return [Problem(field, "no_recipients")]
    problems: list[Problem] = []
    invalid = [p for p in phones if not _reads_as_one(p)]
    if invalid:
        problems.append(invalid_phone(invalid, field))
    count = len(phones) - len(invalid)
    if count > MAX_RECIPIENTS:
        problems.append(Problem(field, "too_many_recipients",
                                {"count": count, "limit": MAX_RECIPIENTS}))
    return problems


_PHONE_TOKEN = re.compile(r"[0-9+\-.()]+")  # the only characters a piece of a number has


def _clean_entries(text: str) -> str:
    """Prepare pasted recipient text: composed (text.compose), invisible characters removed,
    \\x1c-\\x1f and \\x85 (spaces to Python, not to JavaScript) turned into plain spaces."""
    text = _INVISIBLE_RE.sub("", compose(text))
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


def parse_recipients(text: str) -> RecipientList:
    """Parse numbers separated by commas, semicolons, newlines, tabs or spaces."""
    entries: list[tuple[str, str | None, str]] = []
    for chunk in re.split(r"[,;\r\n\t]+", _clean_entries(text)):
        entries.extend(_space_entries(chunk))
    return _collect(entries)


#: (raw, canonical number or None, name, read name first) of one names-list entry.
_Entry = tuple[str, str | None, str, bool]


def _number_name(entry: str) -> _Entry:
    """One entry whose number comes first: "number|name", "number name", "number<TAB>name"."""
    if "|" in entry:
        number, name = entry.split("|", 1)
        return entry, normalize_phone(number), name.strip(), False
    whole = normalize_phone(entry)
    if whole is not None:
        return entry, whole, "", False
    if "\t" in entry:
        number, name = entry.split("\t", 1)
        return entry, normalize_phone(number), name.strip(), False
    # The number itself may contain spaces ("+82 (0)10 1234 5678"): take the first split
    # whose left side is valid, trying only the first few, so a long line stays linear.
    for tried, match in enumerate(re.finditer(r"\s+", entry)):
        if tried >= _MAX_PHONE_TOKENS:
            break
        phone = normalize_phone(entry[: match.start()])
        if phone is not None:
            return entry, phone, entry[match.end() :].strip(), False
    return entry, None, "", False


def _name_number(entry: str) -> _Entry | None:
    """"name number" (spaces between): the longest number among the last few splits, or None."""
    splits = list(re.finditer(r"\s+", entry))[-_MAX_PHONE_TOKENS:]
    for match in splits:
        phone = normalize_phone(entry[match.end() :])
        if phone is not None:
            return entry, phone, entry[: match.start()].strip(), True
    return None


def _destination_entry(entry: str) -> _Entry:
    """One entry: the number first (the gateway's order), else "name number"."""
    found = _number_name(entry)
    if found[1] is None and "|" not in entry and "\t" not in entry:
        return _name_number(entry) or found
    return found


def _pair(line: str) -> _Entry | None:
    """A line of exactly two fields split by a tab or a comma, one of them a number and the
    other not: a spreadsheet's two columns ("홍길동<TAB>010-1234-5678", pasted from Excel,
    or "홍길동,010-1234-5678" from a CSV), in either order. None for any other line."""
    if "|" in line:
        return None
    fields = line.split("\t") if "\t" in line else line.split(",")
    if len(fields) != 2:
        return None
    first, second = (field.strip() for field in fields)
    if not first or not second:
        return None
    number_first, number_second = normalize_phone(first), normalize_phone(second)
    if number_first is not None and number_second is None:
        return line, number_first, second, False
    if number_second is not None and number_first is None:
        return line, number_second, first, True
    return None


def parse_destination(text: str) -> RecipientList:
    """Parse the names list: "010-1234-5678|홍길동" entries separated by commas or
    newlines; a line of a name and a number (a tab or a comma between, as two spreadsheet
    columns paste, or spaces) in either order. ``name_first`` counts the entries read
    name first, so the form can say so."""
    entries: list[_Entry] = []
    for line in re.split(r"[\r\n]+", _clean_entries(text)):
        pair = _pair(line)
        if pair is not None:
            entries.append(pair)
            continue
        entries.extend(_destination_entry(entry.strip()) for entry in line.split(",")
                       if entry.strip())
    found = _collect([entry[:3] for entry in entries])
    return replace(found, name_first=sum(1 for e in entries if e[3] and e[1] is not None))


def add_numbers(names: RecipientList, numbers: RecipientList) -> tuple[RecipientList, int]:
    """The names list with the numbers box's numbers after it, each without a name, so
    that no one typed in either box is left out; and how many numbers were added (a number
    already in the names list keeps its name and counts as a duplicate). The numbers'
    invalid entries are not carried over: they belong to their own box."""
    listed = set(names.phones)
    added = [r for r in numbers.recipients if r.phone not in listed]
    again = [r.phone for r in numbers.recipients if r.phone in listed]
    duplicates = list(dict.fromkeys([*names.duplicates, *again, *numbers.duplicates]))
    return RecipientList([*names.recipients, *added], duplicates, names.invalid,
                         names.name_first), len(added)


def _clean_name(name: str) -> str:
    """Make a name safe inside the destination field, whose separators are "," and "|"."""
    if "," in name or "|" in name:
        name = re.sub(r"[,|]", " ", name)
    return " ".join(name.split())


def format_destination(recipients: Sequence[Recipient]) -> str:
    """Render recipients as the gateway's destination field."""
    return ",".join(f"{r.phone}|{_clean_name(r.name)}" for r in recipients)


def format_rphone(recipients: Sequence[Recipient]) -> str:
    """Render recipients as the gateway's rphone field."""
    return ",".join(r.phone for r in recipients)
