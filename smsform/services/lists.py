"""Lists of recipients as people bring them: a file (CSV or TSV, ``.xlsx``, ``.xls``) or
text pasted from a spreadsheet, read into rows with a report of every row refused.

One reader for the address book's import, the opt-out import and the bulk jobs:

- **Text files** in UTF-8 (with or without a BOM), UTF-16 with its BOM (Excel's "유니코드
  텍스트"), or CP949/EUC-KR as Excel in Korea saves a CSV; anything else is asked of
  charset-normalizer. The delimiter (comma, tab, semicolon, bar) is sniffed from the first
  lines.
- **Workbooks** (``.xlsx``, ``.xls``) through python-calamine, the first sheet. An
  ``.xlsx`` is a zip: its sizes are checked before it is opened (a zip bomb is refused).
- **Paste**: numbers, or ``number<TAB>name`` lines in either order, read by the form's own
  rules (``cafe24.phone.parse_destination``); lines with tabs in columns are a table.

What a file is is told by its bytes, not its name. The phone and name columns are guessed
from the header (``PHONE_HEADERS``, ``NAME_HEADERS``) or from the values, and may be chosen;
every other column is kept as a named field for ``{column}`` merges. A number is judged by
the gateway library's rules (``cafe24.phone.normalize_phone``); a number saved by Excel as a
number, its leading 0 lost (``1012345678``), is read with it. Duplicates are dropped (the
first row kept) and named. The cyclic garbage collector is paused while rows are read
(``paused_gc``, which the bulk check uses too). A file that cannot be read raises
``ListRefused`` (worded in ``smsform.messages.refusals``), never anything else.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from cafe24 import message
from cafe24.phone import Recipient, normalize_phone, parse_destination
from cafe24.text import unsupported_chars
from config import Settings
from smsform.services.refusals import Refusal

#: The bulk jobs' limits (issue 15); the settings SMSFORM_LIST_MAX_ROWS and
#: SMSFORM_LIST_MAX_BYTES change them (``limits_of``).
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

#: Headers that name the phone column, best first (compared without spaces, dashes,
#: brackets or case; a header containing one counts too: "휴대폰번호", "고객 연락처").
PHONE_HEADERS = ("전화번호", "휴대폰", "핸드폰", "연락처", "수신번호", "휴대전화", "phone",
                 "mobile", "tel", "number")
#: Headers that name the name column, best first.
NAME_HEADERS = ("이름", "성명", "고객명", "수신자", "name")

#: How a list came: the kinds ``ListReport.kind`` holds.
KINDS = ("csv", "tsv", "xlsx", "xls", "paste", "json")
_DELIMITERS = ",\t;|"
_SNIFF_LINES = 20
#: An .xlsx whose parts would unpack to more than this, or more than _MAX_RATIO times their
#: packed size, is refused before it is opened.
_MAX_UNPACKED = 200 * 1024 * 1024
_MAX_RATIO = 150
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_JUNK = re.compile(r"[\s\-_.()\[\]/·:*#]+")
_EXCEL_EPOCH = datetime(1899, 12, 30)


class ListRefused(Refusal):
    """A list that cannot be read at all (codes: ``empty``, ``too_large``,
    ``too_many_rows``, ``not_text``, ``not_workbook``, ``zip_bomb``, ``no_phone_column``,
    ``unknown_column``, ``workbook_locked``); a header without rows is ``empty``."""


@dataclass(frozen=True)
class Limits:
    """How much one list may hold."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES


def limits_of(settings: Settings) -> Limits:
    """The limits the settings give (SMSFORM_LIST_MAX_ROWS, SMSFORM_LIST_MAX_BYTES)."""
    return Limits(settings.list_max_rows, settings.list_max_bytes)


@dataclass(frozen=True)
class Row:
    """One recipient read: its row number (as the spreadsheet shows it), the number in
    canonical dashed form, the name and the other columns' values (``ListReport.fields``)."""

    row: int
    phone: str
    name: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowProblem:
    """A row left out: its number, the value as written, and why (``no_phone``,
    ``invalid_phone``, ``no_name``, ``name_too_long``, ``name_control_chars``,
    ``name_unsupported_chars``, ``duplicate``); a duplicate names the row it repeats
    (``first_row``)."""

    row: int
    value: str
    code: str
    first_row: int | None = None


@dataclass
class ListReport:
    """What a list held: its rows to use, the rows left out and why, and its columns."""

    kind: str
    rows: list[Row]
    refused: list[RowProblem]
    duplicates: list[RowProblem]
    columns: list[str]  # every column's name, in order (letters when there is no header)
    phone_column: str | None
    name_column: str | None
    fields: list[str]  # the other columns, in order: the names of Row.values
    total: int = 0  # data rows read (empty rows not counted)
    encoding: str | None = None
    delimiter: str | None = None
    header: bool = True

    @property
    def problems(self) -> list[RowProblem]:
        """Every row left out, in row order."""
        return sorted([*self.refused, *self.duplicates], key=lambda p: p.row)

    def fields_of(self, row: Row) -> dict[str, str]:
        """A row's other columns by name, for ``{column}`` merges."""
        return dict(zip(self.fields, row.values, strict=False))


@dataclass(frozen=True)
class Choice:
    """Which columns to use, by header (or letter); None: guessed. ``name_column=""``
    reads no names. ``need_name``: a row without a name is refused (``no_name``), as a
    text using ``{name}`` wants."""

    phone_column: str | None = None
    name_column: str | None = None
    need_name: bool = False


class _GcPause:
    """Who holds the cyclic garbage collector paused (``paused_gc``), across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False


_GC_PAUSE = _GcPause()


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a list of 100,000 rows is read or
    checked: the rows make no reference cycles, yet each 700 new objects would make it walk
    every object alive, the rows made so far among them (a third of the read's time and
    more than half the check's). Nested and concurrent uses (threads) share one pause; the
    collector runs again when the last ends, as it was before the first."""
    pause = _GC_PAUSE
    with pause.lock:
        if pause.holders == 0:
            pause.was_enabled = gc.isenabled()
            gc.disable()
        pause.holders += 1
    try:
        yield
    finally:
        with pause.lock:
            pause.holders -= 1
            if pause.holders == 0 and pause.was_enabled:
                gc.enable()


# --- bytes → a table -------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a text file and the encoding it was in; ListRefused ``not_text``."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in data[:4096]:
        raise ListRefused("not_text")
    else:
        candidates = ["utf-8", "cp949"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _checked_text(text), "euc-kr" if encoding == "cp949" else encoding
    return _guessed(data)


def _guessed(data: bytes) -> tuple[str, str]:
    """Neither UTF-8 nor CP949: what charset-normalizer makes of it, if it reads as text."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 256 * 1024]).best()
    if best is None or best.encoding in ("utf_8", "cp949", "euc_kr"):
        raise ListRefused("not_text")
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise ListRefused("not_text") from None
    return _checked_text(text), best.encoding


def _checked_text(text: str) -> str:
    """The text, unless it holds control characters as only a binary file does."""
    sample = text[:65536]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 1000):
        raise ListRefused("not_text")
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter of a text table: of comma, tab, semicolon and bar, the one found on
    every one of the first lines (the most often found, at a tie the first of those);
    a comma when none is (a list of numbers alone)."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:_SNIFF_LINES]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        counts = [_count_outside_quotes(line, delimiter) for line in lines]
        if not counts or min(counts) == 0:
            continue
        score = sum(counts)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _count_outside_quotes(line: str, delimiter: str) -> int:
    if '"' not in line:
        return line.count(delimiter)
    return sum(1 for i, part in enumerate(line.split('"')) if i % 2 == 0
               for _ in range(part.count(delimiter)))


def _text_table(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a text table; the row number counts records from 1."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error:
        raise ListRefused("not_text") from None


def _check_zip(data: bytes) -> None:
    """Refuse an .xlsx that is not a zip, or that would unpack to far more than it is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ListRefused("not_workbook") from None
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if unpacked > _MAX_UNPACKED or unpacked > _MAX_RATIO * max(packed, 64 * 1024):
        raise ListRefused("zip_bomb")
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise ListRefused("not_workbook")


def _cell(value: object) -> str:
    """A workbook's cell as text: whole numbers without ".0", dates as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _workbook_table(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a workbook's first sheet (python-calamine)."""
    from python_calamine import CalamineError, PasswordError, load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data))
        if not workbook.sheet_names:
            raise ListRefused("empty")
        sheet = workbook.get_sheet_by_index(0)
        start = (sheet.start or (0, 0))[0] + 1
        rows = sheet.to_python(skip_empty_area=False)
    except PasswordError:
        raise ListRefused("workbook_locked") from None
    except (CalamineError, ValueError, OSError, TypeError):
        raise ListRefused("not_workbook") from None
    del data
    for number, cells in enumerate(rows, start=start):
        yield number, [_cell(value) for value in cells]


# --- a table → rows ------------------------------------------------------------------


def _header_key(header: str) -> str:
    return _HEADER_JUNK.sub("", header).casefold()


def _guess_column(columns: Sequence[str], known: Sequence[str],
                  taken: int | None = None) -> int | None:
    keys = [_header_key(c) for c in columns]
    for word in known:
        for index, key in enumerate(keys):
            if index != taken and key == word:
                return index
    for word in known:
        for index, key in enumerate(keys):
            if index != taken and word in key:
                return index
    return None


def column_letter(index: int) -> str:
    """A column's letter as a spreadsheet names it (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_phone(value: str) -> str | None:
    """A cell's number in canonical form, or None: as the gateway library reads it, or with
    the leading 0 that Excel drops from a number kept as a number (``1012345678``)."""
    phone = normalize_phone(value)
    if phone is None and value.isdigit() and value[:1] != "0" and 8 <= len(value) <= 10:
        phone = normalize_phone("0" + value)
    return phone


def _is_phone(value: str) -> bool:
    return read_phone(value.strip()) is not None


def _phone_column_by_values(rows: Sequence[list[str]], width: int) -> int | None:
    """The column where most of the first rows hold numbers, if in at least half of them."""
    best, best_count = None, 0
    for index in range(width):
        count = sum(1 for cells in rows if index < len(cells) and _is_phone(cells[index]))
        if count > best_count:
            best, best_count = index, count
    return best if best is not None and best_count * 2 >= max(1, len(rows)) else None


def _unique_names(names: Iterable[str]) -> list[str]:
    """Column names, each once ("메모", "메모_2"), a blank one by its letter."""
    out: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(names):
        name = " ".join(raw.split()) or column_letter(index)
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _chosen(columns: Sequence[str], wanted: str) -> int:
    """The column named (or lettered) ``wanted``; ListRefused ``unknown_column``."""
    key = _header_key(wanted)
    for index, name in enumerate(columns):
        if _header_key(name) == key or column_letter(index) == wanted.strip().upper():
            return index
    raise ListRefused("unknown_column", column=wanted[:40], columns=", ".join(columns)[:200])


def _name_problem(name: str) -> str | None:
    """Why a name cannot travel in the gateway's ``destination``, or None."""
    if len(name) > message.NAME_LIMIT:
        return "name_too_long"
    if _CONTROL.search(name):
        return "name_control_chars"
    if not name.isascii() and (unsupported_chars(name) or any(
            ch in name for ch in message.REFUSED_CHARS)):
        return "name_unsupported_chars"
    return None


@dataclass(frozen=True)
class _Layout:
    """Where a table's columns are: its header or not, names, the phone and name columns."""

    header: bool
    columns: list[str]
    phone_at: int
    name_at: int | None
    rest: list[int]


def _head(rows: Iterator[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The first non-empty rows (up to 101), read off ``rows``; ListRefused ``empty``."""
    head: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if any(c.strip() for c in cells):
            head.append((number, cells))
            if len(head) > 100:
                break
    if not head:
        raise ListRefused("empty")
    return head


def _has_header(first: list[str], samples: Sequence[list[str]], width: int) -> bool:
    """A first row is a header when it names a phone or name column, or holds no number
    where the rows below hold them."""
    if _guess_column(first, PHONE_HEADERS) is not None:
        return True
    if _guess_column(first, NAME_HEADERS) is not None:
        return True
    return not any(_is_phone(c) for c in first) and \
        _phone_column_by_values(samples, width) is not None


def _name_at(columns: list[str], header: bool, phone_at: int, width: int,
             choice: Choice) -> int | None:
    if choice.name_column == "":
        return None
    if choice.name_column:
        return _chosen(columns, choice.name_column)
    if header:
        return _guess_column(columns, NAME_HEADERS, taken=phone_at)
    others = [i for i in range(width) if i != phone_at]
    return others[0] if len(others) == 1 else None


def _layout(head: list[tuple[int, list[str]]], choice: Choice) -> _Layout:
    """The header and the columns of a table, from its first rows and the choice."""
    width = max(len(cells) for _, cells in head)
    first = [c.strip() for c in head[0][1]]
    header = _has_header(first, [c for _, c in head[1:]], width)
    if header:
        columns = _unique_names([*first, *[""] * (width - len(first))])
        samples = [cells for _, cells in head[1:]]
    else:
        columns = [column_letter(i) for i in range(width)]
        samples = [cells for _, cells in head]
    if choice.phone_column:
        phone_at: int | None = _chosen(columns, choice.phone_column)
    else:
        phone_at = _guess_column(first, PHONE_HEADERS) if header else None
        if phone_at is None:
            phone_at = _phone_column_by_values(samples, width)
    if phone_at is None:
        raise ListRefused("no_phone_column", columns=", ".join(columns)[:200])
    name_at = _name_at(columns, header, phone_at, width, choice)
    rest = [i for i in range(width) if i not in (phone_at, name_at)]
    return _Layout(header, columns, phone_at, name_at, rest)


def _judge(report: ListReport, rows: Iterable[tuple[int, list[str]]], layout: _Layout,
           limits: Limits, need_name: bool) -> None:
    """Judge every data row into the report: kept, refused (and why) or a duplicate."""
    phone_at, name_at, rest = layout.phone_at, layout.name_at, layout.rest
    seen: dict[str, int] = {}
    max_rows = limits.max_rows
    keep, refuse, duplicate = report.rows.append, report.refused.append, \
        report.duplicates.append
    total = 0
    for number, cells in rows:
        if not any(cells) or not any(c.strip() for c in cells):
            continue
        total += 1
        if total > max_rows:
            raise ListRefused("too_many_rows", limit=max_rows)
        raw = cells[phone_at].strip() if phone_at < len(cells) else ""
        phone = read_phone(raw) if raw else None
        name = " ".join(cells[name_at].split()) \
            if name_at is not None and name_at < len(cells) else ""
        problem = _row_problem(raw, phone, name, need_name)
        if problem is not None:
            refuse(RowProblem(number, (name if problem.startswith("name_") else raw)[:120],
                              problem))
            continue
        assert phone is not None
        first_row = seen.get(phone)
        if first_row is not None:
            duplicate(RowProblem(number, raw[:100], "duplicate", first_row))
            continue
        seen[phone] = number
        keep(Row(number, phone, name,
                 tuple(cells[i].strip() if i < len(cells) else "" for i in rest)))
    report.total = total


def _row_problem(raw: str, phone: str | None, name: str, need_name: bool) -> str | None:
    """Why a row is refused (its number, then its name), or None."""
    if not raw:
        return "no_phone"
    if phone is None:
        return "invalid_phone"
    if name:
        return _name_problem(name)
    return "no_name" if need_name else None


def read_table(table: Iterable[tuple[int, list[str]]], kind: str, limits: Limits,
               choice: Choice = Choice(), *, encoding: str | None = None,
               delimiter: str | None = None) -> ListReport:
    """Read a table's rows (row number, cells) into a report: the header found or not, the
    columns chosen, every row judged and de-duplicated."""
    with paused_gc():
        return _read_table(table, kind, limits, choice, encoding, delimiter)


def _read_table(table: Iterable[tuple[int, list[str]]], kind: str, limits: Limits,
                choice: Choice, encoding: str | None, delimiter: str | None) -> ListReport:
    rows_iter = iter(table)
    head = _head(rows_iter)
    layout = _layout(head, choice)
    columns = layout.columns
    report = ListReport(kind, [], [], [], columns, columns[layout.phone_at],
                        columns[layout.name_at] if layout.name_at is not None else None,
                        [columns[i] for i in layout.rest], encoding=encoding,
                        delimiter=delimiter, header=layout.header)
    _judge(report, _chain(head[1:] if layout.header else head, rows_iter), layout, limits,
           choice.need_name)
    if not report.total:
        raise ListRefused("empty")  # a header and nothing under it
    return report


def _chain(*parts: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    for part in parts:
        yield from part


# --- the ways in ---------------------------------------------------------------------


def file_kind(data: bytes, filename: str = "") -> str:
    """What a file is, by its bytes (its name only tells CSV from TSV)."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    return "tsv" if filename.lower().endswith((".tsv", ".tab")) else "csv"


def read_file(data: bytes, filename: str = "", limits: Limits = Limits(),
              choice: Choice = Choice()) -> ListReport:
    """Read an uploaded list; ListRefused for a file that is not a readable list."""
    if not data.strip():
        raise ListRefused("empty")
    if len(data) > limits.max_bytes:
        raise ListRefused("too_large", limit=limits.max_bytes)
    kind = file_kind(data, filename)
    claimed = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if claimed in ("xlsx", "xlsm", "xls") and kind not in ("xlsx", "xls"):
        raise ListRefused("not_workbook")
    if kind == "xlsx":
        _check_zip(data)
        return read_table(_workbook_table(data), kind, limits, choice)
    if kind == "xls":
        return read_table(_workbook_table(data), kind, limits, choice)
    text, encoding = _decode(data)
    del data
    delimiter = "\t" if kind == "tsv" and "\t" in text[:65536] else sniff_delimiter(text)
    return read_table(_text_table(text, delimiter), kind, limits, choice, encoding=encoding,
                      delimiter=delimiter)


def read_paste(text: str, limits: Limits = Limits(), choice: Choice = Choice()) -> ListReport:
    """Read pasted text: a table when it starts with a header or most lines hold three
    columns or more (an Excel selection), else each line by the form's rules (numbers;
    ``number<TAB>name`` or ``name<TAB>number``, ``number|name``, ``number name``...)."""
    if not text.strip():
        raise ListRefused("empty")
    if len(text.encode("utf-8")) > limits.max_bytes:
        raise ListRefused("too_large", limit=limits.max_bytes)
    lines = text.splitlines()
    filled = [line for line in lines if line.strip()][:_SNIFF_LINES]
    first = [cell.strip() for cell in filled[0].split("\t")]
    header = _guess_column(first, (*PHONE_HEADERS, *NAME_HEADERS)) is not None
    columns = sum(1 for line in filled if line.strip().count("\t") >= 2)
    if header or choice.phone_column or columns * 2 > len(filled):
        return read_table(((n, line.split("\t")) for n, line in enumerate(lines, start=1)),
                          "paste", limits, choice, delimiter="\t")
    return _read_lines(lines, limits, choice.need_name)


def _read_lines(lines: Sequence[str], limits: Limits, need_name: bool) -> ListReport:
    with paused_gc():
        return _read_numbers(lines, limits, need_name)


def _read_numbers(lines: Sequence[str], limits: Limits, need_name: bool) -> ListReport:
    report = ListReport("paste", [], [], [], ["phone", "name"], "phone", "name", [],
                        header=False)
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        found = parse_destination(line)
        for raw in found.invalid:
            report.total += 1
            report.refused.append(RowProblem(number, raw[:100], "invalid_phone"))
        for recipient in found.recipients:
            report.total += 1
            if report.total > limits.max_rows:
                raise ListRefused("too_many_rows", limit=limits.max_rows)
            _judge_pasted(report, number, recipient, seen, need_name)
        for phone in found.duplicates:
            report.total += 1
            report.duplicates.append(RowProblem(number, phone, "duplicate", seen.get(phone)))
    if not report.total:
        raise ListRefused("empty")
    return report


def _judge_pasted(report: ListReport, number: int, recipient: Recipient,
                  seen: dict[str, int], need_name: bool) -> None:
    problem = _row_problem(recipient.phone, recipient.phone, recipient.name, need_name)
    if problem:
        value = recipient.name if problem.startswith("name_") else recipient.phone
        report.refused.append(RowProblem(number, value[:120], problem))
    elif recipient.phone in seen:
        report.duplicates.append(RowProblem(number, recipient.phone, "duplicate",
                                            seen[recipient.phone]))
    else:
        seen[recipient.phone] = number
        report.rows.append(Row(number, recipient.phone, recipient.name))


@dataclass(frozen=True)
class Record:
    """One recipient given by a program (the API's ``to`` item): a number, a name and the
    values of other columns by name."""

    phone: str
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)


#: The columns ``read_records`` names the number and the name (a record's own fields may
#: not be named so).
RECORD_PHONE, RECORD_NAME = "phone", "name"


def read_records(records: Sequence[Record], limits: Limits = Limits(),
                 need_name: bool = False) -> ListReport:
    """Read recipients given one by one into a report, as a file's table with the columns
    phone, name and every field named (in the order first given) is read: every row judged
    and de-duplicated the same way. Row n is the n-th record."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.fields))
    fields = [n for n in names if n not in (RECORD_PHONE, RECORD_NAME)]
    named = need_name or any(record.name.strip() for record in records)
    header = [RECORD_PHONE, *([RECORD_NAME] if named else []), *fields]
    table = [(0, header), *((n, [record.phone, *([record.name] if named else []),
                                 *(record.fields.get(f, "") for f in fields)])
                            for n, record in enumerate(records, start=1))]
    return read_table(table, "json", limits,
                      Choice(RECORD_PHONE, RECORD_NAME if named else "", need_name))


@dataclass(frozen=True)
class Summary:
    """A report's counts, for the audit trail and the pages."""

    total: int
    usable: int
    refused: int
    duplicates: int
    by_code: dict[str, int] = field(default_factory=dict)


def summary(report: ListReport) -> Summary:
    """How many rows were read, kept, refused (by why) and dropped as duplicates."""
    by_code: dict[str, int] = {}
    for problem in report.refused:
        by_code[problem.code] = by_code.get(problem.code, 0) + 1
    return Summary(report.total, len(report.rows), len(report.refused),
                   len(report.duplicates), by_code)
