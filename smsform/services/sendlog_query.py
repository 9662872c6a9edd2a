"""The send log's reads: the filters of ``/sends``, one page and its count, the whole filtered
set in batches (for the CSV export) and one send in full.

Newest first: by ``created_at`` (then ``id``); a search by words goes by ``id`` instead (the
order the text index keeps, the same but for sends logged within the same instant). Each
filter is served by an index (docs/sendlog.md): ``user`` by (user_id, created_at),
``result`` by (result, created_at), ``from``/``to`` by (created_at), a number by
send_recipients (phone, send_id), words of the text on SQLite by the FTS5 trigram index
``sends_search`` (models.SEND_SEARCH_DDL), on PostgreSQL by the GIN trigram index
``ix_sends_text_trgm`` (pg_trgm, models.SEND_TEXT_TRGM), which serves ``text ILIKE
'%word%'`` for a word with three letters or digits in a row; other words (``입고``) are
matched there by reading the texts, as all are where neither index exists. Who sees a send
in full and who masked is ``services.visibility``'s rule, applied here row by row.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from cafe24.message import merge_all
from cafe24.phone import Recipient, normalize_phone
from smsform.extensions import db
from smsform.models import (
    SEND_NUMBERS,
    SEND_SEARCH,
    Send,
    SendRecipient,
    User,
    in_korea,
    korea_day_start,
    utcnow,
)
from smsform.services import delivery, query_args, search_index
from smsform.services.query_args import FilterError, FilterProblem
from smsform.services.sendlog import (
    MARKS,
    RECIPIENTS_JSON,
    digits,
    effective_result,
    has_sqlite_table,
    pending_condition,
    unknown_condition,
)
from smsform.services.visibility import EVERYTHING, Reader, mask_name
from smsform.states import Delivery, Result

_sends = Send.__table__
_recipients = SendRecipient.__table__
_users = User.__table__
_search_index = table(SEND_SEARCH, column("rowid"), column(SEND_SEARCH))
_terms = table(f"{SEND_SEARCH}_terms", column("term"))
_numbers_index = table(SEND_NUMBERS, column("rowid"), column(SEND_NUMBERS))
_counts = table(f"{SEND_SEARCH}_counts", column("day"), column("user_id"), column("result"),
                column("n"))
#: The results a filter may ask for: every one, as the log shows it (``unknown`` also holds
#: a ``pending`` row older than the gateway's timeouts, while ``pending`` holds only younger).
RESULTS = tuple(Result)
PAGE_SIZE = 50
MAX_PAGE = 20_000  # 1,000,000 rows at 50 a page
MAX_QUERY_LENGTH = 100
MAX_WORDS = 10
MIN_WORD = 2  # characters: a single one would match nearly every text
#: A two-character word is looked up as the index's trigrams that start with it; a search
#: whose words come to more forms than this, all together, is refused rather than turned
#: into a huge query (ten common two-letter words once made 10,000 phrases, seconds each).
MAX_TERMS = 1000
#: Wall-clock seconds one read of the log may take (page and total, the API's page, an
#: export's plan): past it the database stops it (SQLite: a progress handler; PostgreSQL:
#: ``SET LOCAL statement_timeout``) and the search is refused as too broad.
SEARCH_SECONDS = 3.0
#: SQLite virtual-machine steps between two looks at the clock.
PROGRESS_STEPS = 1000
EXPORT_BATCH = 1000
#: The query-string values the filters read; each may be given once.
FILTER_FIELDS = ("user", "result", "delivery", "q", "from", "to", "page")
#: An administrator's mark that a send did not go (``sendlog.MARKS``).
MARK_NOT_SENT = MARKS[1]
#: The delivery filter's values (services.delivery; ``waiting``: no outcome yet).
DELIVERIES = tuple(Delivery)

_LIKE_SPECIAL = re.compile(r"([\\%_])")
#: pg_trgm takes trigrams only from runs of letters and digits: a word with no three in a row
#: gives none (or only one of a word's edge, ``50 `` of ``50%``), and its ILIKE would read the
#: whole trigram index and then every row.
TRIGRAM = 3
#: Under these LC_CTYPEs pg_trgm takes only ASCII letters and digits (Hangul is neither).
_ASCII_CTYPES = ("C", "POSIX")
_CTYPE_KEY = "smsform_trigrams_ascii_only"  # in the pooled DBAPI connection's info


@dataclass(frozen=True)
class LogFilter:
    """The parsed filters of the send log (all optional) and the page asked for."""

    user: str = ""
    user_ids: tuple[int, ...] = ()  # the users ``user`` names (whole, or a part of names)
    result: str = ""
    delivery: str = ""  # a recipient's delivery (states.Delivery): sends with one such
    q: str = ""
    phone: str = ""  # digits, when ``q`` is a whole phone number
    digits: str = ""  # digits, when ``q`` may be a part of a number (5678, 2222-33)
    words: tuple[str, ...] = ()
    day_from: date | None = None  # KST days, both inclusive
    day_to: date | None = None
    page: int = 1

    def as_args(self) -> dict[str, str]:
        """The filters as query-string values (for paging and export links)."""
        args = {"user": self.user, "result": self.result, "delivery": self.delivery,
                "q": self.q,
                "from": self.day_from.isoformat() if self.day_from else "",
                "to": self.day_to.isoformat() if self.day_to else ""}
        return {k: v for k, v in args.items() if v}


def _user_ids(name: str, problems: list[FilterProblem]) -> tuple[int, ...]:
    """The user named ``name``, or else every user whose name holds it (any case)."""
    if not name:
        return ()
    exact = db.session.execute(select(_users.c.id).where(_users.c.username == name)).scalar()
    if exact is not None:
        return (exact,)
    found = tuple(db.session.execute(
        select(_users.c.id).where(_users.c.username.ilike(_like(name), escape="\\"))
        .order_by(_users.c.id).limit(MAX_USERS)).scalars())
    if not found:
        problems.append(FilterProblem("user", "unknown_user", {"name": name[:64]}))
    return found


#: A query of digits (dashes and spaces allowed) that is not a whole number, with at least
#: this many digits, is also looked for in the recipients' numbers (a part: 5678, 2222-33).
MIN_NUMBER_PART = 4
MAX_USERS = 100  # users a part of a name may stand for
_NUMBER_LIKE = re.compile(r"[\d\s-]+")


def _search(q: str, problems: list[FilterProblem]) -> tuple[str, str, tuple[str, ...]]:
    """``q`` as a whole phone number's digits; or as words of the text, and, when it is
    made of digits, a part of a number."""
    if len(q) > MAX_QUERY_LENGTH:
        problems.append(FilterProblem("q", "q_too_long", {"max": MAX_QUERY_LENGTH}))
        return "", "", ()
    if not q:
        return "", "", ()
    number = normalize_phone(q)
    if number is not None:
        return digits(number), "", ()
    part = "".join(ch for ch in q if ch.isdigit()) if _NUMBER_LIKE.fullmatch(q) else ""
    part = part if MIN_NUMBER_PART <= len(part) <= 16 else ""
    words = tuple(dict.fromkeys(q.lower().split()))
    if len(words) > MAX_WORDS:
        problems.append(FilterProblem("q", "q_too_many_words", {"max": MAX_WORDS}))
        return "", "", ()
    if any(len(word) < MIN_WORD for word in words):
        problems.append(FilterProblem("q", "q_word_too_short", {"min": MIN_WORD}))
        return "", "", ()
    return "", part, words


def parse_filter(args: Mapping[str, Sequence[str]]) -> LogFilter:
    """The filters from the query string (each name to its values); raises FilterError
    naming every bad value. Names other than FILTER_FIELDS are not looked at."""
    problems: list[FilterProblem] = []
    raw = {name: query_args.single(args, name, problems)
           for name in ("user", "result", "delivery", "q", "page")}
    result = raw["result"]
    if result and result not in RESULTS:
        problems.append(FilterProblem("result", "unknown_result", {
            "value": result[:32], "choices": ", ".join(RESULTS)}))
    if raw["delivery"] and raw["delivery"] not in DELIVERIES:
        problems.append(FilterProblem("delivery", "unknown_delivery", {
            "value": raw["delivery"][:32], "choices": ", ".join(DELIVERIES)}))
    day_from, day_to = query_args.days(args, problems)
    phone, part, words = _search(raw["q"], problems)
    page = query_args.page(raw["page"], problems, MAX_PAGE)
    user_ids = _user_ids(raw["user"], problems) if not problems else ()
    if problems:
        raise FilterError(problems)
    return LogFilter(user=raw["user"], user_ids=user_ids, result=result,
                     delivery=raw["delivery"], q=raw["q"],
                     phone=phone, digits=part, words=words, day_from=day_from, day_to=day_to,
                     page=page)


def _result_condition(result: str, now: datetime):
    """``result`` as the log shows it: a pending row past the timeouts counts as unknown."""
    if result == Result.UNKNOWN:
        return unknown_condition(now)
    if result == Result.PENDING:
        return pending_condition(now)
    return _sends.c.result == result


def _like(word: str) -> str:
    return "%" + _LIKE_SPECIAL.sub(r"\\\1", word) + "%"


def _trigrams_ascii_only(connection: Connection) -> bool:
    """Whether this PostgreSQL database's pg_trgm sees only ASCII letters and digits (an
    LC_CTYPE of C or POSIX); asked once per pooled connection."""
    info = connection.info
    if _CTYPE_KEY not in info:
        ctype = connection.exec_driver_sql(
            "SELECT datctype FROM pg_database WHERE datname = current_database()").scalar()
        info[_CTYPE_KEY] = ctype in _ASCII_CTYPES
    return info[_CTYPE_KEY]


def _has_trigram(word: str, ascii_only: bool) -> bool:
    """Whether ``word`` holds TRIGRAM letters or digits in a row (as pg_trgm sees them)."""
    run = 0
    for char in word:
        run = run + 1 if char.isalnum() and (char.isascii() or not ascii_only) else 0
        if run >= TRIGRAM:
            return True
    return False


def _trigram_served(connection: Connection, word: str) -> bool:
    """Whether PostgreSQL's trigram index can find ``word`` (it has a trigram of it)."""
    if _has_trigram(word, ascii_only=True):
        return True
    return _has_trigram(word, ascii_only=False) and not _trigrams_ascii_only(connection)


def _text_has(connection: Connection, word: str):
    """The text holds ``word``, in any case (LIKE's specials escaped): ``text ILIKE``, which
    PostgreSQL's trigram index serves. For a word the index has no trigram of, ``lower(text)
    LIKE lower(...)`` there: the same test (it is what ILIKE does in a UTF-8 database) in a
    form the index does not serve, so the planner reads the table rather than every entry
    of the index and then every row."""
    pattern = _like(word)
    if connection.dialect.name == "postgresql" and not _trigram_served(connection, word):
        return func.lower(_sends.c.text).like(func.lower(pattern), escape="\\")
    return _sends.c.text.ilike(pattern, escape="\\")


def _conditions(log_filter: LogFilter, now: datetime,
                reader: Reader) -> list[ColumnElement[bool]]:
    """The WHERE clause of every filter but the words (each served by an index); a number
    finds only the sends ``reader`` sees in full (services.visibility)."""
    s = _sends.c
    conditions: list[ColumnElement[bool]] = []
    if log_filter.user_ids:
        conditions.append(s.user_id.in_(log_filter.user_ids))
    if log_filter.result:
        conditions.append(_result_condition(log_filter.result, now))
    if log_filter.delivery:
        conditions.append(delivery.condition(Delivery(log_filter.delivery)))
    if log_filter.phone:
        conditions.append(s.id.in_(select(_recipients.c.send_id)
                                   .where(_recipients.c.phone == log_filter.phone)))
        if reader.people_owner is not None:
            conditions.append(s.user_id == reader.people_owner)
    if log_filter.day_from:
        conditions.append(s.created_at >= korea_day_start(log_filter.day_from))
    if log_filter.day_to:
        conditions.append(s.created_at < korea_day_start(log_filter.day_to + timedelta(days=1)))
    return conditions


# --- a bound on each read's time -----------------------------------------------------

_SQLITE_INTERRUPT = 9  # SQLITE_INTERRUPT: the progress handler stopped the statement
_PG_QUERY_CANCELED = "57014"  # query_canceled: statement_timeout, among others


def _timed_out(exc: OperationalError) -> bool:
    """Whether the database stopped a statement because its time was up."""
    orig = exc.orig
    return (getattr(orig, "sqlite_errorcode", None) == _SQLITE_INTERRUPT
            or str(orig) == "interrupted"
            or getattr(orig, "sqlstate", None) == _PG_QUERY_CANCELED)


@contextmanager
def bounded(connection: Connection, log_filter: LogFilter) -> Iterator[None]:
    """Let the statements run inside take at most SEARCH_SECONDS in all; past it the
    database stops them, and FilterError ``search_too_slow`` says the search is too broad
    (beside ``q``, or the page when there is none). On PostgreSQL the limit is a ``SET
    LOCAL``: it ends with the transaction, which a stopped statement leaves to be rolled
    back (the session's, ``db.session.rollback()``, by the caller).

    A search through the word indexes first has them brought up to date (on SQLite they
    are filled in batches: ``search_index``), so it sees every send logged before it."""
    if log_filter.words or log_filter.digits:
        search_index.catch_up()
    dialect = connection.dialect.name
    raw = connection.connection.driver_connection if dialect == "sqlite" else None
    if raw is not None:
        deadline = time.monotonic() + SEARCH_SECONDS
        raw.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    elif dialect == "postgresql":
        connection.exec_driver_sql(
            f"SET LOCAL statement_timeout = {max(1, round(SEARCH_SECONDS * 1000))}")
    try:
        yield
    except OperationalError as exc:
        if not _timed_out(exc):
            raise
        field = "q" if log_filter.q else "page"
        raise FilterError([FilterProblem(field, "search_too_slow", {})]) from None
    finally:
        if raw is not None:
            raw.set_progress_handler(None, 0)
    if dialect == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout TO DEFAULT")


# --- words of the text ---------------------------------------------------------------


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _match_query(connection: Connection, words: Sequence[str]) -> str | None:
    """The FTS5 query for texts holding every word (None: some word is in no text).

    A word of three characters or more is a phrase of its trigrams; a shorter one is every
    trigram of the index that starts with it (each text ends in two spaces, so every piece
    of a text starts some trigram). Case is folded by the index."""
    parts = []
    budget = MAX_TERMS - sum(1 for word in words if len(word) >= 3)
    for word in words:
        if len(word) >= 3:
            parts.append(_phrase(word))
            continue
        terms = connection.execute(
            select(_terms.c.term).where(_terms.c.term >= word, _terms.c.term < word + "\U0010ffff")
            .limit(budget + 1)).scalars().all()
        if not terms:
            return None
        if len(terms) > budget:
            if budget == MAX_TERMS:  # this word alone
                raise FilterError([FilterProblem("q", "q_word_too_common", {"word": word})])
            raise FilterError([FilterProblem("q", "q_too_broad", {"max": MAX_TERMS})])
        budget -= len(terms)
        parts.append("(" + " OR ".join(_phrase(term) for term in terms) + ")")
    return " AND ".join(parts)


@dataclass(frozen=True)
class _Plan:
    """How to read the filtered log: the WHERE, the order, the text index's query."""

    where: list
    match: str | None = None  # the FTS5 query when the index serves the words
    only_words: bool = False  # no filter but the words: the index alone answers
    nothing: bool = False  # a word no text holds: no row can match
    #: With names or numbers too (SQLite): the ids of the texts and of those recipients
    #: together, which answer alone when there is no other filter.
    union: Any = None

    @property
    def by_id(self) -> bool:
        """Newest first by id (the text index's order) rather than by created_at."""
        return self.match is not None

    def order(self) -> tuple:
        s = _sends.c
        return (s.id.desc(),) if self.by_id else (s.created_at.desc(), s.id.desc())

    def before(self, row: Row[*tuple[Any, ...]]) -> ColumnElement[bool]:
        """The keyset condition for the rows after ``row`` (in this order)."""
        s = _sends.c
        if self.by_id:
            return s.id < row.id
        return tuple_(s.created_at, s.id) < (row.created_at, row.id)

    def matches(self, below: int | None = None):
        """The ids of the texts holding every word, or of the union with the recipients
        found (below ``below``), newest first."""
        if self.union is not None:
            ids = self.union.subquery()
            query = select(ids.c.id)
            if below is not None:
                query = query.where(ids.c.id < below)
            return query.order_by(ids.c.id.desc())
        return _matching_ids(self.match or "", below)


def _matching_ids(match: str, below: int | None = None):
    query = select(_search_index.c.rowid).where(_search_index.c[SEND_SEARCH].match(match))
    if below is not None:
        query = query.where(_search_index.c.rowid < below)
    return query.order_by(_search_index.c.rowid.desc())


def _plan(connection: Connection, log_filter: LogFilter, now: datetime,
          reader: Reader) -> _Plan:
    """The plan for ``log_filter``; raises FilterError for a word with too many forms."""
    where = _conditions(log_filter, now, reader)
    if not log_filter.words:
        return _Plan(where)
    people = _people(connection, log_filter, reader)
    if not has_sqlite_table(connection, SEND_SEARCH):
        text = and_(*[_text_has(connection, word) for word in log_filter.words])
        return _Plan([*where, or_(text, *[_sends.c.id.in_(p) for p in people])])
    match = _match_query(connection, log_filter.words)
    if match is None:
        if not people:
            return _Plan(where, nothing=True)
        ids = union(*[p.with_only_columns(_recipients.c.send_id.label("id")) for p in people])
        return _Plan([*where, _sends.c.id.in_(ids)], match="", only_words=not where,
                     union=ids)
    text_ids = _matching_ids(match).order_by(None)
    if people:  # the text's words, or a recipient's name or number
        ids = union(text_ids.with_only_columns(_search_index.c.rowid.label("id")),
                    *[p.with_only_columns(_recipients.c.send_id.label("id")) for p in people])
        return _Plan([*where, _sends.c.id.in_(ids)], match=match, only_words=not where,
                     union=ids)
    return _Plan([*where, _sends.c.id.in_(text_ids)], match=match, only_words=not where)


# --- recipients: a name, a part of a number ---------------------------------------------


def _name_range(connection: Connection, q: str):
    """A recipient's name is ``q`` or begins with it: an index range (PostgreSQL: LIKE
    'q%', which text_pattern_ops serves whatever the collation)."""
    name = _recipients.c.name
    if connection.dialect.name == "postgresql":
        return name.like(_LIKE_SPECIAL.sub(r"\\\1", q) + "%", escape="\\")
    return and_(name >= q, name < q + "\U0010ffff")


def _number_part(connection: Connection, part: str):
    """Where a recipient's number holds the digits ``part``: through SQLite's trigram index
    of the numbers, or PostgreSQL's (``phone LIKE``, which pg_trgm serves)."""
    if has_sqlite_table(connection, SEND_NUMBERS):
        rows = select(_numbers_index.c.rowid).where(
            _numbers_index.c[SEND_NUMBERS].match(_phrase(part)))
        return literal_column("send_recipients.rowid").in_(rows)
    return _recipients.c.phone.like(f"%{part}%")


def _people(connection: Connection, log_filter: LogFilter, reader: Reader) -> list:
    """What else ``q`` may find besides the text's words: the sends with a recipient whose
    name begins with ``q`` and, for digits, whose number holds them; only among the sends
    ``reader`` sees in full (services.visibility), so nothing hidden can be found out.
    Empty when neither can match (the words alone then, served by the text index)."""
    if not reader.searches_people:
        return []
    s, r = _sends.c, _recipients.c

    def sends_where(condition) -> Select:
        query = select(r.send_id).where(condition)
        if reader.people_owner is None:
            return query
        return query.join(_sends, s.id == r.send_id).where(s.user_id == reader.people_owner)

    found = []
    named = sends_where(_name_range(connection, log_filter.q.strip()))
    if connection.execute(named.limit(1)).first() is not None:
        found.append(named)
    if log_filter.digits:
        found.append(sends_where(_number_part(connection, log_filter.digits)))
    return found


def where(connection: Connection, log_filter: LogFilter, now: datetime, *,
          reader: Reader = EVERYTHING) -> list | None:
    """The WHERE clause of ``log_filter`` for another reader of the log (the API), the
    words served by the text index where there is one; None when no row can match. Raises
    FilterError for a word with too many forms."""
    plan = _plan(connection, log_filter, now, reader)
    return None if plan.nothing else plan.where


# --- rows as the log shows them ------------------------------------------------------


def mask_phone(phone: str) -> str:
    """A number with its middle hidden (010-****-5678); a number it cannot split keeps
    only its last four digits."""
    parts = phone.split("-")
    number = phone if len(parts) == 3 and all(p.isdigit() for p in parts) else (
        normalize_phone(phone) or phone)  # the log keeps numbers dashed: this is rare
    parts = number.split("-")
    if len(parts) == 3:
        return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"
    if len(parts) == 2:
        return f"{'*' * len(parts[0])}-{parts[1]}"
    plain = "".join(ch for ch in number if ch.isdigit())
    return "*" * max(0, len(plain) - 4) + plain[-4:]


def _shown(phone: str, masked: bool) -> str:
    """A logged number (kept in its canonical, dashed form) as this reader may see it."""
    return mask_phone(phone) if masked else phone


def _name_shown(name: str | None, masked: bool) -> str | None:
    return mask_name(name) if name and masked else name




@dataclass(frozen=True)
class LogRow:
    """One send as the list shows it."""

    id: int
    created_at: datetime  # KST
    user_id: int | None
    in_full: bool  # shown in full to this reader (services.visibility), else masked
    user: str
    source: str
    sender: str
    kind: str  # sms / lms
    recipients: int
    first_recipient: str  # masked unless the reader may see numbers; "" once purged
    cost: int | None  # what the gateway charged; None while pending or unknown
    forecast: int  # what it uses if the gateway takes it
    test: bool
    result: str  # effective: a pending row past the timeouts is unknown
    code: str | None
    marked: str | None
    text: str | None  # None once purged
    subject: str | None
    purged: bool
    listed: bool = False  # the gateway's result list showed one of its recipients
    #: Its recipients by delivery outcome (services.delivery), for a send that reached
    #: phones; None for a test, a refusal, a send never made, or an unknown one never listed.
    delivery: dict[str, int] | None = None

    @property
    def reaches_phones(self) -> bool:
        """The gateway took it for phones (or the list showed it did): delivery applies."""
        return not self.test and (self.result in Result.CHARGED or self.listed)


_LIST_COLUMNS = (
    _sends.c.id, _sends.c.created_at, _sends.c.user_id, _sends.c.actor, _sends.c.source,
    _sends.c.sender, _sends.c.kind, _sends.c.recipient_count, RECIPIENTS_JSON, _sends.c.cost,
    _sends.c.forecast, _sends.c.test, _sends.c.result, _sends.c.code, _sends.c.marked,
    _sends.c.text, _sends.c.subject, _sends.c.purged_at, _sends.c.listed_at)


def _pairs(recipients_json: str | None) -> list[tuple[str, str | None]]:
    if not recipients_json:
        return []
    return [(phone, name) for phone, name in json.loads(recipients_json)]


def _log_row(row, reader: Reader, now: datetime,
             pairs: list[tuple[str, str | None]] | None = None) -> LogRow:
    pairs = _pairs(row.recipients) if pairs is None else pairs
    in_full = reader.in_full(row.user_id)
    masked = not in_full
    return LogRow(
        id=row.id, created_at=in_korea(row.created_at), user_id=row.user_id, in_full=in_full,
        user=row.actor, source=row.source,
        sender=row.sender, kind="lms" if row.kind == "L" else "sms",
        recipients=row.recipient_count,
        first_recipient=_shown(pairs[0][0], masked) if pairs else "", cost=row.cost,
        forecast=row.forecast, test=bool(row.test),
        result=effective_result(row.result, row.created_at, now),
        code=row.code, marked=row.marked, text=row.text, subject=row.subject,
        purged=row.purged_at is not None, listed=row.listed_at is not None)


@dataclass(frozen=True)
class LogPage:
    """One page of the filtered log, and how many sends the filters match."""

    rows: list[LogRow]
    total: int
    page: int
    pages: int


def _summed(connection: Connection, log_filter: LogFilter) -> int | None:
    """The total from SQLite's counts table, when the filters are only user, a stored result
    and days (a sum of at most days x users x results rows); None otherwise."""
    if log_filter.phone or log_filter.words or log_filter.delivery or (
            log_filter.result and log_filter.result not in Result.SUMMED):
        return None
    if not has_sqlite_table(connection, f"{SEND_SEARCH}_counts"):
        return None
    c = _counts.c
    where: list[ColumnElement[bool]] = []
    if log_filter.user_ids:
        where.append(c.user_id.in_(log_filter.user_ids))
    if log_filter.result:
        where.append(c.result == log_filter.result)
    if log_filter.day_from:
        where.append(c.day >= log_filter.day_from.isoformat())
    if log_filter.day_to:
        where.append(c.day <= log_filter.day_to.isoformat())
    return connection.execute(select(func.coalesce(func.sum(c.n), 0)).where(*where)).scalar()


def _total(connection: Connection, plan: _Plan, log_filter: LogFilter) -> int:
    """How many sends the filters match: summed, counted by the text index, or counted."""
    summed = _summed(connection, log_filter)
    if summed is not None:
        return summed
    if plan.only_words:
        return connection.execute(select(func.count()).select_from(
            plan.matches().order_by(None).subquery())).scalar_one()
    return connection.execute(select(func.count()).select_from(_sends).where(*plan.where)
                              ).scalar_one()


def page(log_filter: LogFilter, *, reader: Reader, now: datetime | None = None) -> LogPage:
    """The page ``log_filter.page`` (PAGE_SIZE rows, newest first) and the total; raises
    FilterError for a word with too many forms."""
    now = now or utcnow()
    connection = db.session.connection()
    try:
        with bounded(connection, log_filter):
            plan = _plan(connection, log_filter, now, reader)
            if plan.nothing:
                return LogPage([], 0, log_filter.page, 1)
            total, rows = _page_rows(connection, plan, log_filter)
    except FilterError:
        db.session.rollback()  # PostgreSQL: the stopped statement's transaction
        raise
    return LogPage(_with_delivery([_log_row(r, reader, now) for r in rows]), total,
                   log_filter.page, max(1, -(-total // PAGE_SIZE)))


def _with_delivery(rows: list[LogRow]) -> list[LogRow]:
    """The rows with their recipients' delivery counts (one grouped read for the page)."""
    counts = delivery.counts([row.id for row in rows if row.reaches_phones])
    return [replace(row, delivery=counts.get(row.id, {})) if row.reaches_phones else row
            for row in rows]


def _page_rows(connection: Connection, plan: _Plan,
               log_filter: LogFilter) -> tuple[int, Sequence[Row[*tuple[Any, ...]]]]:
    """The total and the rows of the page asked for."""
    offset = (log_filter.page - 1) * PAGE_SIZE
    total = _total(connection, plan, log_filter)
    if plan.only_words:  # the index pages by itself; then read those rows
        ids = connection.execute(plan.matches().limit(PAGE_SIZE).offset(offset)).scalars()
        query = select(*_LIST_COLUMNS).where(_sends.c.id.in_(list(ids)))
    else:
        query = select(*_LIST_COLUMNS).where(*plan.where).limit(PAGE_SIZE).offset(offset)
    return total, connection.execute(query.order_by(*plan.order())).all()


@dataclass(frozen=True)
class ExportRow:
    """One send as the CSV export writes it."""

    row: LogRow
    numbers: list[str]  # each recipient's number, with its name (masked as the reader sees)


def export(log_filter: LogFilter, *, reader: Reader,
           now: datetime | None = None) -> Iterator[ExportRow]:
    """Every send the filters match, newest first, read EXPORT_BATCH at a time (keyset, each
    batch in its own short read), so memory stays flat. The plan and the first batch are
    read at once, within the search's time bound (raising FilterError for a word with too
    many forms or a search too slow), the rest as they are streamed."""
    now = now or utcnow()
    with db.engine.connect() as connection, bounded(connection, log_filter):
        plan = _plan(connection, log_filter, now, reader)
        if plan.nothing:
            return iter(())
        first = connection.execute(_batch_query(plan, None).order_by(*plan.order())).all()
    return _export_rows(plan, reader, now, first)


def _batch_query(plan: _Plan, last: Row[*tuple[Any, ...]] | None) -> Select[Any]:
    if plan.only_words:  # ask the index for the next ids only
        ids = plan.matches(last.id if last is not None else None).limit(EXPORT_BATCH)
        return select(*_LIST_COLUMNS).where(_sends.c.id.in_(ids))
    query = select(*_LIST_COLUMNS).where(*plan.where)
    if last is not None:
        query = query.where(plan.before(last))
    return query.limit(EXPORT_BATCH)


def _export_rows(plan: _Plan, reader: Reader, now: datetime,
                 batch: Sequence[Row[*tuple[Any, ...]]]) -> Iterator[ExportRow]:
    while True:
        for row in batch:
            pairs = _pairs(row.recipients)
            masked = not reader.in_full(row.user_id)
            numbers = [_shown(p, masked) + (f" {_name_shown(name, masked)}" if name else "")
                       for p, name in pairs]
            yield ExportRow(_log_row(row, reader, now, pairs), numbers)
        if len(batch) < EXPORT_BATCH:
            return
        with db.engine.connect() as connection:
            batch = connection.execute(
                _batch_query(plan, batch[-1]).order_by(*plan.order())).all()


# --- one send in full ------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedRecipient:
    """One recipient of a logged send: the number as the reader may see it, the name, and
    the text merged for that name (None when the send used no names)."""

    phone: str
    name: str | None
    text: str | None
    #: Its delivery (states.Delivery values; ``waiting`` when none yet) for a send that
    #: reached phones, else None; the list's time (KST), code, refund time, and whether the
    #: listed record could have been another copy too.
    delivery: str | None = None
    delivery_at: datetime | None = None
    delivery_code: str | None = None
    refunded_at: datetime | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class SendDetail:
    """Everything the log knows of one send (the gateway's answer only for admins)."""

    row: LogRow
    recipients: list[LoggedRecipient]
    client_address: str | None
    reserve_at: datetime | None  # KST
    repeat_num: int | None
    repeat_minutes: int | None
    remaining: int | None
    answer: str | None
    detail: str | None
    duration_ms: int | None
    finished_at: datetime | None  # KST
    marked_by: str | None
    marked_at: datetime | None  # KST
    purged_at: datetime | None  # KST
    advertising: bool = False  # the law saw an advertisement (services.compliance)
    #: The opt-out list's (services.optouts): the numbers an advertisement left out
    #: (masked for a reader who sees the send masked), how many opted-out numbers it concerned.
    excluded: tuple[str, ...] = ()
    opted_out: int = 0
    #: When the gateway's result list first showed one of its recipients (KST; None: not
    #: yet), and its recipients by delivery outcome (empty when delivery does not apply).
    listed_at: datetime | None = None
    delivery: dict[str, int] = field(default_factory=dict)
    #: A bulk job's batch (source ``bulk``): the job and the batch's number; else None.
    job_id: int | None = None
    batch: int | None = None

    @property
    def disagreement(self) -> bool:
        """An administrator marked it not sent, but the gateway's list shows it was."""
        return self.marked_by is not None and self.row.marked == MARK_NOT_SENT \
            and self.listed_at is not None


def _recipients_of(text: str | None, recipients_json: str | None, masked: bool,
                   deliveries: dict[int, Any] | None = None) -> list[LoggedRecipient]:
    pairs = [(phone, _name_shown(name, masked)) for phone, name in _pairs(recipients_json)]
    named = [Recipient(phone, name) for phone, name in pairs if name]
    merged = iter(merge_all(text, named)) if text and named else iter(())
    out = []
    for position, (phone, name) in enumerate(pairs):
        text_for_name = next(merged).text if name and text and named else None
        shown = LoggedRecipient(_shown(phone, masked), name, text_for_name)
        if deliveries is not None:
            found = deliveries.get(position)
            shown = replace(shown, delivery=Delivery.WAITING.value) if found is None \
                else replace(shown, delivery=found.delivery or Delivery.WAITING.value,
                             delivery_at=in_korea(found.delivery_at),
                             delivery_code=found.delivery_code,
                             refunded_at=in_korea(found.refunded_at),
                             ambiguous=bool(found.delivery_ambiguous))
        out.append(shown)
    return out


def _deliveries(send_id: int) -> dict[int, Any]:
    """A send's recipients' delivery columns, by position."""
    r = _recipients.c
    rows = db.session.execute(
        select(r.position, r.delivery, r.delivery_at, r.delivery_code, r.refunded_at,
               r.delivery_ambiguous).where(r.send_id == send_id)).all()
    return {row.position: row for row in rows}


#: Every column of a send, its recipients read as ``RECIPIENTS_JSON`` says.
_DETAIL_COLUMNS = (*(c for c in _sends.c if c.name != "recipients"), RECIPIENTS_JSON)


def detail(send_id: int, *, reader: Reader, with_answer: bool,
           now: datetime | None = None) -> SendDetail | None:
    """One send as ``reader`` may see it (services.visibility: masked numbers and names, no
    client address, unless in full), or None when there is no such send."""
    marker = _users.alias("marker")
    row = db.session.execute(
        select(*_DETAIL_COLUMNS, marker.c.username.label("marked_by_name"))
        .outerjoin(marker, marker.c.id == _sends.c.marked_by)
        .where(_sends.c.id == send_id)).first()
    if row is None:
        return None
    masked = not reader.in_full(row.user_id)
    log_row = _log_row(row, reader, now or utcnow())
    deliveries = _deliveries(send_id) if log_row.reaches_phones else None
    recipients = _recipients_of(row.text, row.recipients, masked, deliveries)
    counts: dict[str, int] = {}
    for recipient in recipients if deliveries is not None else ():
        counts[recipient.delivery or ""] = counts.get(recipient.delivery or "", 0) + 1
    return SendDetail(
        row=log_row, recipients=recipients, listed_at=in_korea(row.listed_at), delivery=counts,
        client_address=None if masked else row.client_address,
        reserve_at=in_korea(row.reserve_at),
        repeat_num=row.repeat_num, repeat_minutes=row.repeat_minutes, remaining=row.remaining,
        answer=row.answer if with_answer else None, detail=row.detail,
        duration_ms=row.duration_ms, finished_at=in_korea(row.finished_at),
        marked_by=row.marked_by_name, marked_at=in_korea(row.marked_at),
        purged_at=in_korea(row.purged_at), advertising=bool(row.advertising),
        excluded=tuple(mask_phone(p) if masked else p for p in json.loads(row.excluded or "[]")),
        opted_out=row.opted_out or 0, job_id=row.job_id, batch=row.batch)
