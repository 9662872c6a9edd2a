"""The gateway's wire as a server reads and writes it: one parser of Cafe24 requests and the
writers of the four paths' answers, shared by the simulator and the app's relay (no Flask).

Reading is tolerant, as the gateway (PHP) is: the body may be URL-encoded or multipart
(also the vendor PHP sample's hand-written one), fields are Base64 when ``mode`` says so
(only ``sms_sender.php`` and ``sms_remain.php`` know that mode), and their bytes are read
by the contract's charset rule (:func:`cafe24.encoding.from_bytes`). Writing is exact: the
send answer always carries the comma, the other paths their own formats.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .encoding import AUTO, decode_destination, decode_field, from_bytes

SEND, SENDERS, REMAIN, RESULTS = "send", "senders", "remain", "results"
#: Each path of the gateway and the operation it is.
ROUTES = {
    "/sms_sender.php": SEND,
    "/smsSenderPhone.php": SENDERS,
    "/sms_remain.php": REMAIN,
    "/sms_list.php": RESULTS,
}
#: The operations whose fields may be Base64 (``mode=MQ==``); the others are always plain.
BASE64_ROUTES = frozenset({SEND, REMAIN})
#: The ``Content-Type`` of each operation's answer, as the gateway sends it.
CONTENT_TYPES = {
    SEND: "text/html; charset=utf-8",
    SENDERS: "application/json; charset=utf-8",
    REMAIN: "text/html; charset=utf-8",
    RESULTS: "text/xml; charset=utf-8",
}
#: What stands in a field's text when its Base64 or its bytes could not be read.
UNDECODABLE = "\ufffdBASE64"
#: The fields whose unreadable bytes the gateway answers with 3203 (others: -101).
MESSAGE_FIELDS = ("msg", "subject")

_BOUNDARY = re.compile(rb'boundary="?([^";,\s]+)"?', re.IGNORECASE)
_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)


# -- reading --------------------------------------------------------------------------


def route_of(path: str) -> str | None:
    """The operation of a gateway path (a trailing ``/``, as the PHP sample adds, is
    ignored), or None for any other path."""
    return ROUTES.get(path.rstrip("/") or "/")


def parse_urlencoded(body: bytes) -> dict[str, bytes]:
    """Decode ``a=b&c=d`` into raw bytes values (the charset is decided later)."""
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return {k: v.encode("latin-1") for k, v in pairs}


def parse_multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """Read multipart bodies, including the vendor PHP sample's sloppy ones.

    Accepts ``multipart/form-data, boundary=`` (comma), an extra ``--boundary``
    after every part, and no closing ``--boundary--``.
    """
    found = _BOUNDARY.search(content_type.encode("latin-1", "replace"))
    if not found:
        return {}
    delimiter = b"--" + found.group(1)
    fields: dict[str, bytes] = {}
    for chunk in body.split(delimiter):
        if chunk.startswith(b"--"):  # the closing delimiter, when there is one
            continue
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, value = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        name = _NAME.search(head)
        if not name:
            continue
        if value.endswith(b"\r\n"):
            value = value[:-2]
        fields[name.group(1).decode("utf-8", "replace")] = value
    return fields


def read_raw_fields(body: bytes, content_type: str, query: str = "") -> dict[str, bytes]:
    """A request's raw fields: the body's (multipart or URL-encoded), then the query
    string's for names the body does not have."""
    if content_type.lower().startswith("multipart/"):
        fields = parse_multipart(body, content_type)
    else:
        fields = parse_urlencoded(body)
    if query:
        for k, v in parse_urlencoded(query.encode("latin-1", "replace")).items():
            fields.setdefault(k, v)
    return fields


def is_base64_mode(raw: Mapping[str, bytes]) -> bool:
    """True when ``mode`` is 1, Base64-encoded (with or without padding) or plain."""
    return raw.get("mode", b"").strip() in (b"MQ==", b"MQ", b"1")


def decode_one(name: str, value: bytes, base64_mode: bool, charset: str = AUTO) -> str:
    """One field's text in ``charset``; UNDECODABLE when it cannot be read."""
    try:
        if not base64_mode:
            return from_bytes(value, charset)
        decode = decode_destination if name == "destination" else decode_field
        return decode(value.decode("latin-1"), charset)
    except ValueError:  # not Base64, or bytes that are not text in the charset
        return UNDECODABLE


def decode_fields(raw: Mapping[str, bytes], base64_mode: bool,
                  charset: str = AUTO) -> dict[str, str]:
    """Plain text of every field (Base64 when ``mode`` says so, else as sent), its bytes
    read by ``charset`` (``auto``, ``utf-8`` or ``euc-kr``: the contract's rule)."""
    out = {}
    for name, value in raw.items():
        if base64_mode and name == "mode":  # read by is_base64_mode, which also takes "1"
            out[name] = "1"
            continue
        out[name] = decode_one(name, value, base64_mode, charset)
    return out


def account_of(raw: Mapping[str, bytes], base64_mode: bool) -> str:
    """The account id a request names (``user_id``, or ``userId`` for the sender list),
    read by the contract's ``auto`` rule (the account's own charset is not known yet)."""
    value = raw.get("user_id", raw.get("userId", b""))
    return decode_one("user_id", value, base64_mode, AUTO)


@dataclass(frozen=True)
class GatewayRequest:
    """One request to a gateway path, read: its raw and decoded fields and how they were read."""

    path: str  # the gateway path, e.g. "/sms_sender.php"
    route: str  # SEND, SENDERS, REMAIN or RESULTS
    content_type: str
    raw_fields: dict[str, bytes]
    fields: dict[str, str]
    base64_mode: bool
    charset: str  # how the fields' bytes were read: auto, utf-8 or euc-kr

    @property
    def user_id(self) -> str:
        """The account id the request names (``userId`` on the sender list)."""
        name = "userId" if self.route == SENDERS else "user_id"
        return self.fields.get(name, "")

    @property
    def secret(self) -> str:
        """The key the request carries (``passwd`` on the sender list)."""
        name = "passwd" if self.route == SENDERS else "secure"
        return self.fields.get(name, "")

    @property
    def undecodable(self) -> tuple[str, ...]:
        """The names of the fields whose Base64 or bytes could not be read."""
        return tuple(name for name, text in self.fields.items() if text == UNDECODABLE)


def parse_request(path: str, body: bytes, content_type: str, query: str = "", *,
                  charset: str | Callable[[str], str] = AUTO) -> GatewayRequest:
    """Read one request to ``path`` (a gateway path; a trailing ``/`` is fine).

    ``charset`` is how the fields' bytes are read, or a function from the account id the
    request names to that (the simulator keeps a charset per account).

    :raises ValueError: ``path`` is not one of the gateway's.
    """
    route = route_of(path)
    if route is None:
        raise ValueError(f"not a gateway path: {path!r}")
    raw = read_raw_fields(body, content_type, query)
    base64_mode = route in BASE64_ROUTES and is_base64_mode(raw)
    chosen = charset(account_of(raw, base64_mode)) if callable(charset) else charset
    return GatewayRequest(path.rstrip("/"), route, content_type, raw,
                          decode_fields(raw, base64_mode, chosen), base64_mode, chosen)


def undecodable_code(fields: Mapping[str, str]) -> str | None:
    """The gateway's code for a field that could not be read: 3203 for the message and
    the subject, -101 for any other, None when every field was read."""
    if any(fields.get(name) == UNDECODABLE for name in MESSAGE_FIELDS):
        return "3203"
    if UNDECODABLE in fields.values():
        return "-101"
    return None


# -- a library problem as the gateway would answer it ---------------------------------

#: The code ``sms_sender.php`` gives for each library problem (``cafe24.text.PROBLEM_CODES``),
#: for an edge that judges a request before the gateway and must answer in its codes.
#: Where the gateway has no rule of its own (it would send a character it cannot show, or
#: drop a bad number), the closest code of the contract's table is given.
PROBLEM_GATEWAY_CODES = {
    "msg_empty": "-101",  # a required field is missing
    "no_sender": "-101",
    "no_recipients": "-101",
    "invalid_sender": "-114",  # not a registered number
    "refused_char": "-202",
    "name_refused_char": "-202",
    "too_many_recipients": "-110",
    "invalid_phone": "3202",  # phone number error
    "both_recipient_fields": "0002",  # the message is missing parts / is ambiguous
    "name_placeholder_without_names": "0002",
    "name_placeholder_without_destination": "0002",
    "unsupported_chars": "0003",  # message format
    "control_chars": "0003",
    "subject_line_break": "0003",
    "name_unsupported_chars": "0003",
    "name_control_chars": "0003",
    "msg_too_long": "0004",  # body (or title) length
    "subject_too_long": "0004",
    "name_too_long": "0004",
    "reservation_incomplete": "-105",
    "reservation_date_invalid": "-105",
    "reservation_time_invalid": "-105",
    "reservation_too_soon": "-105",
    "reservation_too_far": "-105",
    "repeat_num": "0003",  # the simulator's RepeatInvalid
    "repeat_time": "0003",
}
#: The order in which the gateway checks a send: of several problems, the first code in
#: this order is the answer (missing fields, sender, refused characters, recipients,
#: format, length, reservation, repeat).
GATEWAY_CHECK_ORDER = ("-101", "-114", "-202", "-110", "3202", "0002", "0003", "0004", "-105")


def problems_code(problem_codes: Iterable[str]) -> str:
    """The one code the gateway would answer for these problems (``-101`` for a problem
    the table does not know, or none)."""
    found = {PROBLEM_GATEWAY_CODES.get(code, "-101") for code in problem_codes}
    for code in GATEWAY_CHECK_ORDER:
        if code in found:
            return code
    return "-101"


# -- writing --------------------------------------------------------------------------

SUCCESS, RESERVED, TEST_SUCCESS = "success", "reserved", "Test Success!"
#: smsSenderPhone.php answers JSON, not codes: the message each refusal gets there.
SENDERS_FAIL_MESSAGES = {"-101": "missing userId or passwd", "-102": "authentication failed"}


def send_accepted(remaining: int | None, *, reserved: bool = False, test: bool = False) -> str:
    """``sms_sender.php``'s acceptance: ``success,N``, ``reserved,N`` or ``Test Success!,N``
    (``success,`` when the credit is not known)."""
    word = TEST_SUCCESS if test else RESERVED if reserved else SUCCESS
    return f"{word},{'' if remaining is None else remaining}"


def send_refused(code: str, remaining: int | None = None) -> str:
    """``CODE,N``, or ``CODE,`` before the credit is known: the comma is always written, as
    clients in the wild split on it."""
    return f"{code},{'' if remaining is None else remaining}"


def remain_answer(credits: int) -> str:
    """``sms_remain.php``'s answer: the credit as a bare integer."""
    return str(credits)


def remain_refused(code: str) -> str:
    """``sms_remain.php``'s refusal: the bare code, no comma."""
    return code


def senders_answer(numbers: Iterable[str]) -> str:
    """``smsSenderPhone.php``'s JSON list of approved numbers."""
    return json.dumps({"result": "Success", "list": list(numbers)})


def senders_refused(code: str) -> str:
    """``smsSenderPhone.php``'s JSON failure: a ``result`` other than Success, and why."""
    message = SENDERS_FAIL_MESSAGES.get(code, f"refused ({code})")
    return json.dumps({"result": "Fail", "message": message})


@dataclass(frozen=True)
class ListRecord:
    """One ``record`` of ``sms_list.php``, under the gateway's codes and formats."""

    send_type: str  # I immediate, R reserved
    send_phone: str
    receive_phone: str
    subject: str
    msg: str
    send_datetime: str  # YYYYMMDDHHII, Korea time
    status: str  # 1, 2, 3 or 9
    result_code: str  # a failed message's code, else ""
    refund_date: str


def results_answer(total: int, records: Iterable[ListRecord]) -> str:
    """``sms_list.php``'s XML for one page of messages (code 0000)."""
    return results_xml("0000", total, records)


def results_refused(code: str) -> str:
    """``sms_list.php``'s XML for a refusal: its code, a total of 0, no records."""
    return results_xml(code, 0, ())


def results_xml(code: str, total: int, records: Iterable[ListRecord]) -> str:
    """The layout the working client reads: code and totalCnt under the root, then records."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<result>", f"<code>{escape(code)}</code>",
             f"<totalCnt>{total}</totalCnt>"]
    for r in records:
        parts.append(
            "<record>"
            f"<sendType>{escape(r.send_type)}</sendType>"
            f"<sendPhone>{escape(r.send_phone)}</sendPhone>"
            f"<receivePhone>{escape(r.receive_phone)}</receivePhone>"
            f"<subject>{escape(r.subject)}</subject>"
            f"<msg>{escape(r.msg)}</msg>"
            f"<sendDateTime>{escape(r.send_datetime)}</sendDateTime>"
            f"<sendStatus>{escape(r.status)}</sendStatus>"
            f"<resultCode>{escape(r.result_code)}</resultCode>"
            f"<refundDate>{escape(r.refund_date)}</refundDate>"
            "</record>")
    parts.append("</result>")
    return "\n".join(parts)


def refusal_answer(route: str, code: str, remaining: int | None = None) -> str:
    """The refusal ``code`` written as ``route`` writes refusals (for edges that know only
    the operation, such as the relay's throttle)."""
    if route == SEND:
        return send_refused(code, remaining)
    if route == SENDERS:
        return senders_refused(code)
    if route == REMAIN:
        return remain_refused(code)
    return results_refused(code)
