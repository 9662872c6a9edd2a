"""The simulated gateway's state and rules: accounts, senders, credit, messages.

Everything here speaks plain (decoded) text and typed values: a call returns what the
gateway decided or raises the :class:`~simulator.exceptions.Refusal` it answers with;
``simulator.wsgi`` alone writes the wire.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from cafe24.encoding import AUTO, normalize_charset
from cafe24.message import CREDIT_COST
from cafe24.phone import normalize_phone
from cafe24.schedule import KST

from .exceptions import AuthFailed, MissingField, NotEnoughCredit, Refusal
from .rules import ListFilter, Order, check_send, paging

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
    charset: str = AUTO  # how its fields' bytes are read: auto, utf-8 or euc-kr


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


@dataclass(frozen=True)
class SendAccepted:
    """A send the gateway took: the credit left, and whether it was reserved or a test."""

    remaining: int
    reserved: bool = False
    test: bool = False


@dataclass(frozen=True)
class ListedMessage:
    """One row of ``sms_list.php``, copied from a stored message as it stood."""

    send_type: str
    send_phone: str
    receive_phone: str
    subject: str
    msg: str
    due_at: datetime
    status: str
    result_code: str  # the failure's code, shown only once the message has failed
    refund_date: str

    @classmethod
    def of(cls, m: StoredMessage) -> ListedMessage:
        """The row for a stored message."""
        return cls(m.send_type, m.send_phone, m.receive_phone, m.subject, m.msg, m.due_at,
                   m.status, m.fail_code if m.status == "9" else "", m.refund_date)


@dataclass(frozen=True)
class ListPage:
    """One page of ``sms_list.php``: how many messages matched, and this page's rows."""

    total: int
    rows: tuple[ListedMessage, ...]


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
        # The last listing's filter and rows, kept while no message changes: paging through
        # a list of 100,000 records filters and sorts them once, not once a page.
        self._changes = 0
        self._listing: tuple[Any, tuple[int, int], list[StoredMessage]] | None = None

    # -- set-up -----------------------------------------------------------------

    def add_account(self, user_id: str, secure_key: str, senders: list[str] | tuple[str, ...],
                    credits: int, charset: str = AUTO) -> Account:
        """Create (or replace) an account with approved senders and credit; ``charset`` is
        how the gateway reads its fields (``auto``, ``utf-8`` or ``euc-kr``)."""
        numbers = [normalize_phone(s) or s for s in senders]
        charset = AUTO if charset == AUTO else normalize_charset(charset)
        with self._lock:
            account = Account(user_id, secure_key, numbers, credits, charset)
            self.accounts[user_id] = account
            return account

    def reset(self) -> None:
        """Forget messages, calls and faults (accounts stay)."""
        with self._lock:
            self.messages.clear()
            self._pending.clear()
            self._changes += 1
            self.calls.clear()
            self.faults.clear()

    # -- keeping the state (the app stores it between runs) -----------------------------

    #: The layout of ``snapshot()``; ``restore`` refuses any other.
    SNAPSHOT_VERSION = 1

    def snapshot(self) -> dict[str, Any]:
        """The accounts (senders, credit) and stored messages (results, reservations) as
        JSON-safe values; calls, faults and the knobs are not state and stay out."""
        with self._lock:
            return {
                "version": self.SNAPSHOT_VERSION,
                "accounts": [asdict(a) for a in self.accounts.values()],
                "messages": [{**asdict(m), "due_at": m.due_at.isoformat()}
                             for m in self.messages],
            }

    def restore(self, state: dict[str, Any]) -> None:
        """Replace the accounts and messages with a ``snapshot()``'s; messages not yet
        delivered or failed settle as they would have.

        :raises ValueError: ``state`` is not a snapshot this backend can read.
        """
        if not isinstance(state, dict) or state.get("version") != self.SNAPSHOT_VERSION:
            raise ValueError("not a simulator snapshot of this version")
        try:
            accounts = [Account(**_known(Account, a)) for a in state["accounts"]]
            messages = [StoredMessage(**{**_known(StoredMessage, m),
                                         "due_at": datetime.fromisoformat(m["due_at"])})
                        for m in state["messages"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"unreadable simulator snapshot: {exc}") from exc
        with self._lock:
            self.accounts = {a.user_id: a for a in accounts}
            self.messages = messages
            self._changes += 1
            self._pending = [(m.due_at, next(self._seq), m) for m in messages
                             if m.status in ("1", "2")]
            heapq.heapify(self._pending)

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests.

        ``drop`` breaks the connection before the request is handled, ``lost`` handles it
        (a send is carried out and charged) and then breaks the connection, ``stall``
        never answers, ``http500`` answers an HTTP error, ``garbage`` and ``html`` answer
        200 with a body that is not in the gateway's format, ``echo`` answers 200 with the
        request's own body (a broken proxy: the key comes back in it).
        """
        allowed = {"drop", "lost", "stall", "http500", "garbage", "html", "echo"}
        unknown = set(faults) - allowed
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; use {sorted(allowed)}")
        with self._lock:
            self.faults.extend(faults)

    def charset_of(self, user_id: str) -> str:
        """How the gateway reads this account's fields; ``auto`` for an unknown account."""
        with self._lock:
            account = self.accounts.get(user_id)
            return account.charset if account is not None else AUTO

    def next_fault(self) -> str | None:
        """Take the next queued fault, if any."""
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def record(self, call: Call) -> None:
        """Keep a received request for inspection."""
        with self._lock:
            self.calls.append(call)

    # -- the four paths, on the state ----------------------------------------------

    def _authenticate(self, user_id: str, key: str) -> Account:
        """The account these credentials open; MissingField or AuthFailed otherwise."""
        if not user_id or not key:
            raise MissingField
        account = self.accounts.get(user_id)
        if account is None or account.secure_key != key:
            raise AuthFailed
        return account

    def _settle(self) -> None:
        """Move messages whose time has come to delivered or failed, refunding failures."""
        now = self.clock()
        while self._pending and self._pending[0][0] + self.settle_after <= now:
            _, _, m = heapq.heappop(self._pending)
            self._changes += 1
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
        """The code this recipient's message will fail with, or "" when it will arrive."""
        digits = phone.replace("-", "")
        for suffix, (sms_code, lms_code) in self.failing_suffixes.items():
            if digits.endswith(suffix):
                return lms_code if kind == "L" else sms_code
        return ""

    def send(self, f: dict[str, str]) -> SendAccepted:
        """Apply ``sms_sender.php``'s rules to decoded fields.

        :returns: the acceptance, with the credit left afterwards.
        :raises Refusal: the gateway's refusal; past authentication it carries the credit.
        """
        with self._lock:
            self._settle()
            account = self._authenticate(f.get("user_id", ""), f.get("secure", ""))
            try:
                order = check_send(account.senders, f, self.clock())
                if f.get("testflag", "").upper() == "Y":  # checked like a send, never charged
                    return SendAccepted(account.credits, order.reserved, test=True)
                self._charge(account, order)
            except Refusal as refusal:
                refusal.remaining = account.credits
                raise
            self._store_order(account, order)
            return SendAccepted(account.credits, order.reserved)

    @staticmethod
    def _charge(account: Account, order: Order) -> None:
        """Take the order's cost from the account's credit: -201 when it is not there."""
        if order.cost > account.credits:
            raise NotEnoughCredit
        account.credits -= order.cost

    def _store_order(self, account: Account, order: Order) -> None:
        """Keep one message per recipient per repeat; repeats after the first are reserved."""
        for i in range(order.times):
            later = order.reserved or i > 0
            for (phone, _), text in zip(order.targets, order.texts, strict=True):
                self._store(StoredMessage(
                    user_id=account.user_id, kind=order.kind, send_type="R" if later else "I",
                    send_phone=order.sender, receive_phone=phone, msg=text,
                    subject=order.subject, due_at=order.start + order.step * i,
                    cost=CREDIT_COST[order.kind], fail_code=self._fail_code(phone, order.kind),
                    status="2" if later else "1"))

    def _store(self, stored: StoredMessage) -> None:
        self._changes += 1
        self.messages.append(stored)
        heapq.heappush(self._pending, (stored.due_at, next(self._seq), stored))

    def senders(self, user_id: str, passwd: str) -> list[str]:
        """``smsSenderPhone.php``: the approved numbers; MissingField or AuthFailed."""
        with self._lock:
            return list(self._authenticate(user_id, passwd).senders)

    def remaining(self, user_id: str, key: str) -> int:
        """``sms_remain.php``: the credit left; MissingField or AuthFailed."""
        with self._lock:
            self._settle()
            return self._authenticate(user_id, key).credits

    def results(self, f: dict[str, str]) -> ListPage:
        """``sms_list.php``: the filtered messages, newest first, one page of them.

        :raises Refusal: MissingField or AuthFailed, and MissingField for paging that is
            not a number.
        """
        with self._lock:
            self._settle()
            account = self._authenticate(f.get("user_id", ""), f.get("secure", ""))
            wanted = ListFilter.from_fields(account.user_id, f, self.clock())
            start, display = paging(f)
            version = (self._changes, len(self.messages))
            if self._listing is not None and self._listing[:2] == (wanted, version):
                rows = self._listing[2]
            else:
                rows = [m for m in self.messages if wanted.matches(m)] if wanted else []
                rows.sort(key=lambda m: m.due_at, reverse=True)
                self._listing = (wanted, version, rows)
            return ListPage(len(rows), tuple(
                ListedMessage.of(m) for m in rows[start:start + display]))


def _known(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """The items of ``values`` that are fields of the dataclass ``cls``."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}
