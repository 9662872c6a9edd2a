"""Sending: turn a form into a checked SendRequest, send it once, and say what happened."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from cafe24 import message
from cafe24.answers import SendOutcome, SendStatus
from cafe24.calls import SendRequest
from cafe24.errors import Cafe24Error, ConnectFailed, InvalidRequest
from cafe24.message import Problem, RecipientList

from . import gateway

log = logging.getLogger("smsform.send")


@dataclass
class Draft:
    """What a send form asked for, parsed and checked, before anything leaves."""

    request: SendRequest | None
    recipients: RecipientList
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the request may be sent."""
        return self.request is not None and not self.problems


def _sender(data: Mapping[str, str]) -> str:
    """The chosen sender: the select box when it holds a number (it is what a person
    sees, also without JavaScript), else the sample's sphone1..3."""
    chosen = data.get("sphone", "").strip()
    if message.normalize_phone(chosen):
        return chosen
    parts = [data.get(f"sphone{i}", "").strip() for i in (1, 2, 3)]
    if parts[0]:
        return "-".join(p for p in parts if p)
    return chosen


def build_request(data: Mapping[str, str], now: datetime | None = None) -> Draft:
    """Read the sample's fields into a SendRequest and every problem with it."""
    msg = message.normalize_newlines(data.get("msg", ""))
    destination = data.get("destination", "").strip()
    recipients = (message.parse_destination(destination) if destination
                  else message.parse_recipients(data.get("rphone", "")))
    problems = list(recipients.problems)
    if destination:
        # Names and the merged length are the request's own checks (below); only the
        # nameless recipients are a matter of what was typed.
        problems.extend(message.check_nameless(msg, recipients.recipients))
    elif message.NAME_PLACEHOLDER in msg:
        problems.append(Problem(
            "msg", "name_placeholder_without_names",
            "{name}을 쓰려면 이름 목록(destination)에 '번호|이름'을 입력하세요.",
            "To use {name}, list recipients as 'number|name' under names (destination)."))
    reserve_at = None
    rdate, rtime = data.get("rdate", "").strip(), data.get("rtime", "").strip()
    if rdate or rtime:
        try:
            reserve_at = message.parse_reservation(rdate, rtime)  # checked by the request
        except ValueError:
            problems.extend(message.check_reservation(rdate, rtime, now))
    repeat_num = repeat_minutes = None
    if data.get("repeatFlag", "").strip().upper() == "Y":
        repeat_problems = message.check_repeat("Y", data.get("repeatNum"), data.get("repeatTime"))
        problems.extend(repeat_problems)
        if not repeat_problems:
            repeat_num = int(data["repeatNum"])
            repeat_minutes = int(data["repeatTime"])
    sender = _sender(data)
    request = SendRequest(
        msg=msg,
        sender=sender,
        recipients=tuple(r.phone for r in recipients.recipients) if not destination else (),
        named=tuple(recipients.recipients) if destination else (),
        subject=data.get("subject", "").strip(),
        lms=data.get("smsType", "").strip().upper() == "L",
        reserve_at=reserve_at,
        repeat_num=repeat_num,
        repeat_minutes=repeat_minutes,
        test=data.get("testflag", "").strip().upper() == "Y",
    )
    if not sender:
        problems.append(Problem("sphone", "no_sender", "보내는 번호를 선택하세요.",
                                "Choose a sender number."))
    # The request re-checks what the parsers above already said; keep one of each.
    seen = {p.code for p in problems}
    for problem in request.problems(now):
        if problem.code in seen or problem.code == "invalid_sender" and not sender:
            continue
        if problem.code == "no_recipients" and recipients.problems:
            continue  # the parser already said what is wrong with what was typed
        if destination and problem.field == "rphone":
            problem = replace(problem, field="destination")
        seen.add(problem.code)
        problems.append(problem)
    return Draft(request, recipients, problems)


@dataclass
class SendResult:
    """What became of one send, in the handler's four words and in prose."""

    request: SendRequest
    outcome: SendOutcome | None = None
    error: Cafe24Error | None = None

    @property
    def result(self) -> str:
        """``success``, ``reserved``, ``test`` or ``error`` (the JSON ``result``)."""
        if self.outcome and self.outcome.ok:
            return self.outcome.status.value
        return "error"

    @property
    def code(self) -> str | None:
        """The gateway's code, or a word for what went wrong on our side."""
        if self.outcome is not None:
            if self.outcome.status is SendStatus.UNKNOWN:
                return "unknown"
            return self.outcome.code
        return "not_sent"

    @property
    def remaining(self) -> int | None:
        """Credits left, when the gateway said."""
        return self.outcome.remaining if self.outcome else None

    @property
    def certainly_not_sent(self) -> bool:
        """True when nothing went out: refused by the gateway, or never reached it."""
        return self.outcome is None or self.outcome.status is SendStatus.REFUSED

    @property
    def outcome_unknown(self) -> bool:
        """True when nobody can say whether the message went out."""
        return self.outcome is not None and self.outcome.status is SendStatus.UNKNOWN

    @property
    def http_status(self) -> int:
        """2xx only for success, reserved and test."""
        if self.result != "error":
            return 200
        if isinstance(self.error, InvalidRequest):
            return 400
        if self.outcome is None:
            return 503
        return 502 if self.outcome_unknown else 422

    def as_dict(self) -> dict[str, object]:
        """What a repeated submission of the same form is shown (both languages)."""
        return {"result": self.result, "code": self.code, "remaining": self.remaining,
                "outcome_unknown": self.outcome_unknown, "http_status": self.http_status,
                "message_ko": self.text("ko"), "message_en": self.text("en")}

    def text(self, lang: str = "ko") -> str:
        """The outcome for a person."""
        if self.outcome is not None:
            return self.outcome.text(lang)
        detail = self.error.message if self.error else ""
        if isinstance(self.error, InvalidRequest):
            if lang == "en":
                return f"Not sent: the request breaks a gateway rule ({detail})."
            return f"보내지 않았습니다: 게이트웨이 규칙에 맞지 않는 요청입니다({detail})."
        if lang == "en":
            return f"Could not reach the gateway; nothing was sent ({detail}). Try again later."
        return (f"게이트웨이에 연결하지 못했습니다. 문자는 발송되지 않았습니다({detail}). "
                "잠시 후 다시 시도하세요.")


def send(request: SendRequest, user: str = "", *, checked: bool = False) -> SendResult:
    """Send once through the configured gateway; never retried after the bytes may have left.

    ``checked`` says the caller has just run ``request.problems()`` (as build_request
    does), so the client need not run it again.
    """
    log.info("send intent user=%s kind=%s recipients=%d cost=%d test=%s reserved=%s",
             user, request.kind, request.recipient_count, request.cost, request.test,
             request.reserve_at is not None)
    try:
        outcome = gateway.client().send(request, validate=not checked)
    except ConnectFailed as exc:
        log.warning("send not sent user=%s: %s", user, exc.message)
        return SendResult(request, error=exc)
    except InvalidRequest as exc:  # build_request checks first; this is a backstop
        log.warning("send refused locally user=%s: %s", user, exc.message)
        return SendResult(request, error=exc)
    level = logging.ERROR if outcome.status is SendStatus.UNKNOWN else logging.INFO
    log.log(level, "send outcome user=%s status=%s code=%s remaining=%s", user,
            outcome.status.value, outcome.code, outcome.remaining)
    return SendResult(request, outcome=outcome)
