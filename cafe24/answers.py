"""What the gateway answers, parsed into typed values by name, never by position."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
from xml.etree.ElementTree import (  # noqa: S405 - hardened below (_NoDocumentType)
    Element,
    ParseError,
    TreeBuilder,
    XMLParser,
)

from . import codes
from .codes import CodeInfo
from .errors import Cafe24Error, GatewayRefused, UnreadableResponse
from .schedule import KST

_CODE = re.compile(r"^-?\d{1,5}$")


class SendStatus(StrEnum):
    """The five ways a send can end."""

    SUCCESS = "success"
    RESERVED = "reserved"
    TEST = "test"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendOutcome:
    """The typed answer to one send: ``info`` holds the code's meaning (both languages,
    as data); ``error`` says why the outcome is unknown. The app words it."""

    status: SendStatus
    code: str | None = None
    remaining: int | None = None
    info: CodeInfo | None = None
    raw: str = ""
    error: Cafe24Error | None = None

    @property
    def ok(self) -> bool:
        """True when the gateway accepted the send (or the test send)."""
        return self.status in (SendStatus.SUCCESS, SendStatus.RESERVED, SendStatus.TEST)


def _clean(body: str) -> str:
    """The body without surrounding white space or a byte-order mark (some proxies add one)."""
    return body.strip().lstrip("\ufeff").strip()


#: The largest credit count read from an answer (a 32-bit column holds it); a larger number
#: is no count an account has, so it is read as "not said".
MAX_CREDIT = 2**31 - 1


def _count(text: str) -> int | None:
    """A credit count as the gateway writes it, or None when it is none (or out of range)."""
    if not re.fullmatch(r"-?\d{1,12}", text):
        return None
    value = int(text)
    return value if abs(value) <= MAX_CREDIT else None


def _split_answer(body: str) -> tuple[str, int | None]:
    head, _, tail = _clean(body).partition(",")
    return head.strip(), _count(tail.strip())


def parse_send_answer(body: str) -> SendOutcome:
    """Read ``success,N`` / ``reserved,N`` / ``Test Success!`` / ``CODE[,N]``."""
    head, remaining = _split_answer(body)
    lowered = head.lower()
    if lowered == "success":
        return SendOutcome(SendStatus.SUCCESS, "success", remaining,
                           codes.describe_send("success"), body)
    if lowered == "reserved":
        return SendOutcome(SendStatus.RESERVED, "reserved", remaining,
                           codes.describe_send("reserved"), body)
    if lowered == "test success!":
        return SendOutcome(SendStatus.TEST, "test", remaining, codes.describe_send("test"), body)
    if _CODE.match(head):
        return SendOutcome(SendStatus.REFUSED, head, remaining, codes.describe_send(head), body)
    # The body stays in ``body`` (the client keeps a redacted excerpt); a message never
    # quotes it, as messages reach pages and stored outcomes.
    error = UnreadableResponse("unreadable send answer", status_code=200, body=body)
    return SendOutcome(SendStatus.UNKNOWN, None, None, None, body, error)


def parse_remaining(body: str) -> int:
    """Read ``sms_remain.php``'s bare integer; a negative one is an error code."""
    text = _clean(body)
    if re.fullmatch(r"\d+", text) and _count(text) is not None:
        return int(text)
    head, _ = _split_answer(text)
    if _CODE.match(head):
        info = codes.describe_remain(head)
        raise GatewayRefused(head, info.text("en"), body=body)
    raise UnreadableResponse("unreadable remaining-credit answer", body=body)


def parse_senders(body: str) -> list[str]:
    """Read ``{"result": "Success", "list": [...]}``; any other result is a refusal."""
    try:
        data = json.loads(_clean(body))
    except ValueError as exc:
        raise UnreadableResponse("sender list is not JSON", body=body) from exc
    if not isinstance(data, dict):
        raise UnreadableResponse("sender list is not a JSON object", body=body)
    result = str(data.get("result", ""))
    if result.lower() != "success":
        raise GatewayRefused(result or "empty", "sender lookup refused", body=body)
    numbers = data.get("list") or []
    if not isinstance(numbers, list):
        raise UnreadableResponse("sender list's 'list' is not an array", body=body)
    return [str(n).strip() for n in numbers if str(n).strip()]


#: A result row's ``sendStatus``: 1 sending requested, 2 reservation requested,
#: 3 delivered, 9 failed.
ROW_STATUSES = ("1", "2", "3", "9")
#: A result row's ``sendType``: I immediate, R reserved.
ROW_SEND_TYPES = ("I", "R")
_ROW_FIELDS = ("sendType", "sendPhone", "receivePhone", "msg", "sendDateTime", "sendStatus",
               "refundDate")
_ROW_NAMES = frozenset(_ROW_FIELDS)


@lru_cache(maxsize=1024)
def listed_time(raw: str) -> datetime | None:
    """A list's ``sendDateTime`` (YYYYMMDDHHII, KST, or with seconds) as an aware datetime,
    if readable (kept for the last minutes seen: a page's records share a few)."""
    digits = re.sub(r"\D", "", raw)
    # Pick the format by length: strptime would read "…1230" as 12:03:00 with "%M%S".
    fmt = {12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}.get(len(digits))
    if fmt is None:
        return None
    try:
        return datetime.strptime(digits, fmt).replace(tzinfo=KST)
    except ValueError:
        return None


@dataclass(frozen=True)
class ResultRow:
    """One message of a results lookup, under the gateway's codes (``ROW_SEND_TYPES``,
    ``ROW_STATUSES``); the app words them."""

    send_type: str
    send_phone: str
    receive_phone: str
    msg: str
    sent_at_raw: str
    status: str
    refund_date: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sent_at(self) -> datetime | None:
        """``sendDateTime`` (YYYYMMDDHHII, KST) as an aware datetime, if readable."""
        return listed_time(self.sent_at_raw)

    def as_dict(self) -> dict[str, str]:
        """The row under the gateway's own names (for JSON and CSV)."""
        return {
            "sendType": self.send_type,
            "sendPhone": self.send_phone,
            "receivePhone": self.receive_phone,
            "msg": self.msg,
            "sendDateTime": self.sent_at_raw,
            "sendStatus": self.status,
            "refundDate": self.refund_date,
        }


@dataclass(frozen=True)
class ResultPage:
    """A page of results with the gateway's code and total."""

    code: str
    total: int
    rows: list[ResultRow]
    info: CodeInfo


#: Tags without their namespace; a list page repeats a dozen tags thousands of times.
_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1]
        if len(_LOCAL_NAMES) < 256:  # an answer of endless tag names fills no memory
            _LOCAL_NAMES[tag] = name
    return name


def _result_code(root: Element) -> str:
    """The shallowest ``code`` / ``result_code``, so a row's own ``code`` never wins."""
    level = [root]
    while level:
        for name in ("code", "result_code"):
            found = [e for e in level if _local(e.tag) == name]
            if found:
                return (found[0].text or "").strip()
        level = [child for element in level for child in element]
    return ""


class _NoDocumentType(TreeBuilder):
    """The C tree builder, refusing any document type declaration when the parser meets
    it: entities are declared only there (a billion laughs, an external entity reading a
    file), and the gateway writes none. Stricter than defusedxml's default (which lets a
    declaration without entities through) and three times as fast: defusedxml runs
    Python's pure-Python parser, a cost the delivery sync paid 2,000 times a run."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise ValueError(f"a document type declaration ({name}) is refused")


def _plain_prolog(body: bytes | str) -> bool:
    """True when the document, in an ASCII-compatible encoding, has nothing before its first
    element but an XML declaration, comments, processing instructions and white space: no
    document type declaration (the only place an entity can be declared) can follow the
    first element, so the C parser's own tree builder may read it. Expat reads any other
    encoding's ASCII characters as themselves (an encoding it does not know must keep
    them), so a declaration cannot hide from this look in a document it reads as 8-bit."""
    if isinstance(body, str):
        text, start = body, 1 if body.startswith("\ufeff") else 0
    else:
        if b"\x00" in body[:4] or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return False  # UTF-16 or UTF-32: left to the builder that refuses a declaration
        text, start = body.decode("latin-1"), 3 if body.startswith(b"\xef\xbb\xbf") else 0
    at, end = start, len(text)
    while True:
        while at < end and text[at] in " \t\r\n":
            at += 1
        if text.startswith("<?", at):
            close = text.find("?>", at + 2)
        elif text.startswith("<!--", at):
            close = text.find("-->", at + 4)
        else:
            return not text.startswith("<!", at)  # a declaration, or the first element
        if close < 0:
            return False
        at = close + (2 if text[at + 1] == "?" else 3)


def _xml(body: bytes | str) -> Element:
    """The document's root, parsed by the C parser: with its own tree builder when the
    prolog is plain (``_plain_prolog``), else with ``_NoDocumentType``."""
    if _plain_prolog(body):
        parser = XMLParser()  # noqa: S314 - no document type declaration: see _plain_prolog
    else:
        parser = XMLParser(target=_NoDocumentType())  # noqa: S314 - no DTD gets through
    parser.feed(body)
    return parser.close()


#: A row made without ``ResultRow.__init__``'s eight frozen-field assignments (a page has
#: 50 rows, the delivery sync reads 2,000 pages a run).
_new_row = object.__new__
_tag, _text = attrgetter("tag"), attrgetter("text")
#: What a layout of children says: where each of ``_ROW_FIELDS`` is among them (one past
#: the last: not there), and the others' names and places; None when it is no row.
_Layout = tuple[tuple[int, ...], tuple[tuple[str, int], ...]] | None
#: The layouts seen (a page's rows share one or two), by their children's tags.
_LAYOUTS: dict[tuple[str, ...], _Layout] = {}


def _layout(tags: tuple[str, ...]) -> _Layout:
    """Where an element with children ``tags`` keeps each field, as a dict of its children
    by local name would (the last of a name wins); None unless it has two row fields."""
    found = {_LOCAL_NAMES.get(tag) or _local(tag): i for i, tag in enumerate(tags)}
    if len(_ROW_NAMES.intersection(found)) < 2:
        return None
    fields = tuple(found.get(name, len(tags)) for name in _ROW_FIELDS)
    return fields, tuple((name, i) for name, i in found.items() if name not in _ROW_NAMES)


def _rows(root: Element) -> list[ResultRow]:
    """Every element at any depth with two row fields among its children, as a row; its
    other children's texts in ``extra``."""
    rows: list[ResultRow] = []
    append, layouts = rows.append, _LAYOUTS
    for element in root.iter():
        if len(element) < 2:  # a row has two of the fields at least: no leaf is one
            continue
        tags = tuple(map(_tag, element))
        try:
            layout = layouts[tags]
        except KeyError:  # a layout not seen before: once or twice a page at most
            layout = _layout(tags)
            if len(layouts) < 256:  # an answer of endless layouts fills no memory
                layouts[tags] = layout
        if layout is None:
            continue
        texts = [text.strip() if text else "" for text in map(_text, element)]
        texts.append("")  # what a field that is not there reads
        (send_type, send_phone, receive_phone, msg, sent_at, status, refund), others = layout
        row = _new_row(ResultRow)
        row.__dict__.update(
            send_type=texts[send_type], send_phone=texts[send_phone],
            receive_phone=texts[receive_phone], msg=texts[msg], sent_at_raw=texts[sent_at],
            status=texts[status], refund_date=texts[refund],
            extra={name: texts[i] for name, i in others})
        append(row)
    return rows


def parse_results(body: bytes | str) -> ResultPage:
    """Parse the results XML by element name at any depth, with a hardened parser (no
    document type declaration, so no entity, is accepted)."""
    try:
        root = _xml(body)
    except (ParseError, ValueError) as exc:
        raise UnreadableResponse(f"results are not readable XML: {exc}") from exc
    code = _result_code(root)
    if not code:
        raise UnreadableResponse("results XML has no result code")
    info = codes.describe_list(code)
    if code != "0000":
        raise GatewayRefused(code, info.text("en"))
    total_el = next((e for e in root.iter() if _local(e.tag) == "totalCnt"), None)
    rows = _rows(root)
    return ResultPage(code, _total(total_el, len(rows)), rows, info)


def _total(element: Element | None, listed: int) -> int:
    """``totalCnt`` as a count (the rows listed when it is missing or empty); anything else
    (``²``, ``-1``, thousands of digits) is no count the gateway writes."""
    text = (element.text or "").strip() if element is not None else ""
    if not text:
        return listed
    count = _count(text) if re.fullmatch(r"[0-9]+", text) else None
    if count is None:
        raise UnreadableResponse("results XML has a totalCnt that is not a count")
    return count
