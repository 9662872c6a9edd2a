"""The simulated gateway's state and rules: accounts, senders, credit, messages.

Everything here speaks plain (decoded) text; ``simulator.wsgi`` owns the wire.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from cafe24 import message
from cafe24.message import KST

SPAM_WORDS = ("배팅", "바카라", "도박", "섹스", "liveno1", "카지노")
DEMO_USER_ID = "demo"
DEMO_SECURE_KEY = "demo-secure-key"
DEMO_SENDERS = ("010-1234-5678", "02-123-4567", "1588-1234")
DEMO_CREDITS = 1000
# Recipients whose number ends in these four digits fail, with these codes (SMS, LMS).
DEFAULT_FAILING_SUFFIXES = {"0000": ("3208", "204"), "9999": ("3207", "203")}


def kst_now() -> datetime:
    """The real current time in KST."""
    return datetime.now(KST)


@dataclass
class Account:
    """One SMS hosting account: id, key, approved senders and credit."""

    user_id: str
    secure_key: str
    senders: list[str]
    credits: int


@dataclass
class StoredMessage:
    """One message to one recipient, as ``sms_list.php`` reports it."""

    user_id: str
    kind: str
    send_type: str
    send_phone: str
    receive_phone: str
    msg: str
    subject: str
    due_at: datetime
    cost: int
    fail_code: str = ""
    status: str = ""
    refund_date: str = ""


@dataclass
class Call:
    """One request as the simulator received it (for tests that assert the wire)."""

    path: str
    content_type: str
    base64_mode: bool
    raw: dict[str, bytes]
    fields: dict[str, str]
    answer: str = ""


@dataclass
class GatewayBackend:
    """A stateful, thread-safe model of the Cafe24 gateway's rules."""

    clock: Callable[[], datetime] = kst_now
    settle_after: timedelta = timedelta(seconds=3)
    failing_suffixes: dict[str, tuple[str, str]] = field(
        default_factory=lambda: dict(DEFAULT_FAILING_SUFFIXES))
    accounts: dict[str, Account] = field(default_factory=dict)
    messages: list[StoredMessage] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    stall_seconds: float = 30.0

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        # Messages not yet delivered or failed, by due time: settling stays O(log n).
        self._pending: list[tuple[datetime, int, StoredMessage]] = []
        self._seq = itertools.count()

    # -- set-up -----------------------------------------------------------------

    def add_account(self, user_id: str, secure_key: str, senders: list[str] | tuple[str, ...],
                    credits: int) -> Account:
        """Create (or replace) an account with approved senders and credit."""
        numbers = [message.normalize_phone(s) or s for s in senders]
        with self._lock:
            account = Account(user_id, secure_key, numbers, credits)
            self.accounts[user_id] = account
            return account

    def reset(self) -> None:
        """Forget messages, calls and faults (accounts stay)."""
        with self._lock:
            self.messages.clear()
            self._pending.clear()
            self.calls.clear()
            self.faults.clear()

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests.

        ``drop`` breaks the connection before the request is handled, ``lost`` handles it
        (a send is carried out and charged) and then breaks the connection, ``stall``
        never answers, ``http500`` answers an HTTP error, ``garbage`` and ``html`` answer
        200 with a body that is not in the gateway's format.
        """
        allowed = {"drop", "lost", "stall", "http500", "garbage", "html"}
        unknown = set(faults) - allowed
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; use {sorted(allowed)}")
        with self._lock:
            self.faults.extend(faults)

    def next_fault(self) -> str | None:
        """Take the next queued fault, if any."""
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def record(self, call: Call) -> None:
        """Keep a received request for inspection."""
        with self._lock:
            self.calls.append(call)

    # -- rules ------------------------------------------------------------------

    def _auth(self, user_id: str, key: str) -> Account | None:
        account = self.accounts.get(user_id)
        return account if account and account.secure_key == key else None

    def _settle(self) -> None:
        """Move messages whose time has come to delivered or failed, refunding failures."""
        now = self.clock()
        while self._pending and self._pending[0][0] + self.settle_after <= now:
            _, _, m = heapq.heappop(self._pending)
            if m.fail_code:
                m.status = "9"
                settled = m.due_at + self.settle_after
                m.refund_date = settled.strftime("%Y-%m-%d %H:%M:%S")
                account = self.accounts.get(m.user_id)
                if account:
                    account.credits += m.cost
            else:
                m.status = "3"

    def _fail_code(self, phone: str, kind: str) -> str:
        digits = phone.replace("-", "")
        for suffix, (sms_code, lms_code) in self.failing_suffixes.items():
            if digits.endswith(suffix):
                return lms_code if kind == "L" else sms_code
        return ""

    def send(self, f: dict[str, str]) -> str:
        """Apply ``sms_sender.php``'s rules to decoded fields; return the answer body."""
        with self._lock:
            self._settle()
            if not f.get("user_id") or not f.get("secure"):
                return "-101,"
            account = self._auth(f["user_id"], f["secure"])
            if account is None:
                return "-102,"
            left = account.credits

            def refuse(code: str) -> str:
                return f"{code},{left}"

            msg = message.normalize_newlines(f.get("msg", ""))
            rphone, destination = f.get("rphone", "").strip(), f.get("destination", "").strip()
            if not msg or not f.get("sphone1") or not f.get("sphone2") or not (
                    rphone or destination):
                return refuse("-101")
            sender = message.normalize_phone(
                "-".join(p for p in (f.get("sphone1"), f.get("sphone2"), f.get("sphone3")) if p))
            if sender is None or sender not in account.senders:
                return refuse("-114")
            if "됬" in msg:
                return refuse("-202")
            lowered = msg.lower() + f.get("subject", "").lower()
            if any(word in lowered for word in SPAM_WORDS):
                return refuse("0044")
            targets = self._targets(rphone, destination)
            if len(targets) >= 1000:
                return refuse("-110")
            if not targets:
                return refuse("3202")
            kind = "L" if f.get("smsType", "").upper() == "L" else "S"
            limit = message.LMS_LIMIT if kind == "L" else message.SMS_LIMIT
            # {name} is filled only through destination; with rphone it stays as typed.
            texts = [message.merge_name(msg, name) if destination else msg
                     for _, name in targets]
            if max(message.euckr_length(t) for t in texts) > limit:
                return refuse("0004")
            if kind == "L" and message.euckr_length(f.get("subject", "")) > message.SUBJECT_LIMIT:
                return refuse("0004")
            now = self.clock()
            start, reserved = now, False
            if f.get("rdate") or f.get("rtime"):
                try:
                    when = message.parse_reservation(f.get("rdate", ""), f.get("rtime", ""))
                except ValueError:
                    return refuse("-105")
                if when is None or when < now + message.RESERVATION_LEAD:
                    return refuse("-105")
                if when > now + timedelta(days=366):  # no gateway books years ahead
                    return refuse("-105")
                start, reserved = when, True
            times = 1
            step = timedelta(0)
            if f.get("repeatFlag", "").upper() == "Y":
                try:
                    times, minutes = int(f.get("repeatNum", "")), int(f.get("repeatTime", ""))
                except ValueError:
                    return refuse("0003")
                if not 1 <= times <= 10 or minutes < 15:
                    return refuse("0003")
                try:
                    step = timedelta(minutes=minutes)
                    start + step * times  # noqa: B018 - the last send must be a real date
                except OverflowError:
                    return refuse("0003")
            if f.get("testflag", "").upper() == "Y":
                return f"Test Success!,{left}"
            per_message = message.CREDIT_COST[kind]
            cost = per_message * len(targets) * times
            if cost > account.credits:
                return refuse("-201")
            account.credits -= cost
            for i in range(times):
                due = start + step * i
                for (phone, _), text in zip(targets, texts, strict=True):
                    self._store(StoredMessage(
                        user_id=account.user_id, kind=kind,
                        send_type="R" if reserved or i else "I", send_phone=sender,
                        receive_phone=phone, msg=text,
                        subject=f.get("subject", "") if kind == "L" else "", due_at=due,
                        cost=per_message, fail_code=self._fail_code(phone, kind),
                        status="2" if reserved or i else "1"))
            word = "reserved" if reserved else "success"
            return f"{word},{account.credits}"

    def _store(self, stored: StoredMessage) -> None:
        self.messages.append(stored)
        heapq.heappush(self._pending, (stored.due_at, next(self._seq), stored))

    @staticmethod
    def _targets(rphone: str, destination: str) -> list[tuple[str, str]]:
        """Recipients as (number, name); invalid numbers are dropped, as the manual says."""
        targets: list[tuple[str, str]] = []
        if destination:
            for entry in destination.split(","):
                number, _, name = entry.partition("|")
                phone = message.normalize_phone(number)
                if phone:
                    targets.append((phone, name.strip()))
        else:
            for entry in rphone.split(","):
                phone = message.normalize_phone(entry)
                if phone:
                    targets.append((phone, ""))
        return targets

    def senders(self, user_id: str, passwd: str) -> dict[str, object]:
        """``smsSenderPhone.php``: the approved numbers, or a failure result."""
        with self._lock:
            if not user_id or not passwd:
                return {"result": "Fail", "message": "missing userId or passwd"}
            account = self._auth(user_id, passwd)
            if account is None:
                return {"result": "Fail", "message": "authentication failed"}
            return {"result": "Success", "list": list(account.senders)}

    def remaining(self, user_id: str, key: str) -> str:
        """``sms_remain.php``: the credit as a bare integer, or an error code."""
        with self._lock:
            self._settle()
            if not user_id or not key:
                return "-101"
            account = self._auth(user_id, key)
            return str(account.credits) if account else "-102"

    def results(self, f: dict[str, str]) -> str:
        """``sms_list.php``: filtered, paged messages as UTF-8 XML."""
        with self._lock:
            self._settle()
            if not f.get("user_id") or not f.get("secure"):
                return _results_xml("-101", 0, [])
            account = self._auth(f["user_id"], f["secure"])
            if account is None:
                return _results_xml("-102", 0, [])
            rows = self._filter(account, f)
            try:
                start = max(0, int(f.get("startNo") or 0))
                display = min(50, max(1, int(f.get("displayNo") or 10)))
            except ValueError:
                return _results_xml("-101", 0, [])
            return _results_xml("0000", len(rows), rows[start:start + display])

    def _filter(self, account: Account, f: dict[str, str]) -> list[StoredMessage]:
        now = self.clock()
        try:
            base = datetime.strptime(f.get("date") or now.strftime("%Y%m%d"), "%Y%m%d")
            day = min(7, max(1, int(f.get("day") or 1)))
        except ValueError:
            return []
        since = base.replace(tzinfo=KST) - timedelta(days=day)
        send_type = (f.get("sendType") or "all").lower()
        status = (f.get("sendStatus") or "").upper()
        want_lms = (f.get("smsType") or "").lower() == "lms"
        rows = []
        for m in self.messages:
            if m.user_id != account.user_id or m.due_at < since:
                continue
            if (m.kind == "L") != want_lms:
                continue
            if send_type == "general" and m.send_type != "I":
                continue
            if send_type == "reserve" and m.send_type != "R":
                continue
            if status == "S" and m.status != "3" or status == "F" and m.status != "9":
                continue
            if f.get("receivePhone") and message.normalize_phone(
                    f["receivePhone"]) != m.receive_phone:
                continue
            if f.get("sendPhone") and message.normalize_phone(f["sendPhone"]) != m.send_phone:
                continue
            rows.append(m)
        rows.sort(key=lambda m: m.due_at, reverse=True)
        return rows


def _results_xml(code: str, total: int, rows: list[StoredMessage]) -> str:
    """The layout the working client reads: code and totalCnt under the root, then records."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<result>", f"<code>{code}</code>",
             f"<totalCnt>{total}</totalCnt>"]
    for m in rows:
        parts.append(
            "<record>"
            f"<sendType>{m.send_type}</sendType>"
            f"<sendPhone>{escape(m.send_phone)}</sendPhone>"
            f"<receivePhone>{escape(m.receive_phone)}</receivePhone>"
            f"<subject>{escape(m.subject)}</subject>"
            f"<msg>{escape(m.msg)}</msg>"
            f"<sendDateTime>{m.due_at.strftime('%Y%m%d%H%M')}</sendDateTime>"
            f"<sendStatus>{m.status}</sendStatus>"
            f"<resultCode>{m.fail_code if m.status == '9' else ''}</resultCode>"
            f"<refundDate>{m.refund_date}</refundDate>"
            "</record>")
    parts.append("</result>")
    return "\n".join(parts)
