"""Database models: staff accounts, the send log, the audit trail and the demo gateway's state.

Times are stored naive, in UTC (``utcnow()``); pages show them in Korea time.
Rules live in the services (accounts, sending, audit), not here.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time
from typing import Any, overload

from sqlalchemy import (
    DDL,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    event,
    false,
    literal_column,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import SchemaItem, Table
from sqlalchemy.sql.ddl import BaseDDLElement

from cafe24.schedule import KST
from smsform.extensions import Model
from smsform.states import BatchState, JobState, OptOutVia, Result


def utcnow() -> datetime:
    """Now, in UTC, as stored (naive)."""
    return datetime.now(UTC).replace(tzinfo=None)


_KST_OFFSET = KST.utcoffset(None)


def korea_day_start(day: date) -> datetime:
    """The stored (naive UTC) time at which a Korea-time day starts."""
    return datetime.combine(day, time(), KST).astimezone(UTC).replace(tzinfo=None)


@overload
def in_korea(stored: datetime) -> datetime: ...
@overload
def in_korea(stored: None) -> None: ...
def in_korea(stored: datetime | None) -> datetime | None:
    """A stored (naive UTC) time in Korea time (a fixed offset: adding it is enough, and
    it is cheap enough for a million rows of an export)."""
    return (stored + _KST_OFFSET).replace(tzinfo=KST) if stored is not None else None


class User(Model):
    """A staff member who signs in to send or look up messages (rules: services.accounts).

    Users are never deleted (the send log and the audit point at them): they are disabled.
    ``session_version`` changes whenever a session must end (disabled, role or password
    changed, signed out); a session that carries an older version is refused.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="sender")
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sender: Mapped[str | None] = mapped_column(String(20), default=None)


#: The send log's word search on PostgreSQL (migration 0005 makes the same): a GIN trigram
#: index (pg_trgm) of every send's text, which serves ``text ILIKE '%word%'``. Only where
#: pg_trgm's operator class is there: ``db.create_all()`` first creates the extension if it
#: may (``_create_pg_trgm`` below) and, like the migration, leaves the index out if not. The
#: column is named through ``literal_column``, which makes it an expression index to Alembic:
#: on SQLite, where it does not exist, autogenerate skips it rather than asking to add it,
#: while on PostgreSQL it compares it with the index as the column ``text``.
SEND_TEXT_TRGM = "ix_sends_text_trgm"
PG_TRGM = "CREATE EXTENSION IF NOT EXISTS pg_trgm"


def _trigram_ops_visible(ddl: BaseDDLElement, target: SchemaItem | str, bind: Connection | None,
                         tables: list[Table] | None = None, state: Any = None,
                         **kw: Any) -> bool:
    """Whether pg_trgm's GIN operator class can be named here (None: compiled offline)."""
    return bind is None or bind.exec_driver_sql(
        "SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops' "
        "AND pg_opclass_is_visible(oid)").first() is not None


class Send(Model):
    """One send, whatever way it came in: written (``result='pending'``) and committed
    before the gateway is called, its outcome written after.

    ``send_key`` is the form's one-time token (as this app wrote it) or
    ``key:<user>:<Idempotency-Key>``; it is
    unique, so a second claim of the same key fails in the database, and it is cleared
    when the send certainly did not happen (refused, not sent), so the key may be used
    again. A row still ``pending`` after the gateway's timeouts is shown as ``unknown``.
    ``purge`` removes ``text``, ``subject`` and ``recipients`` but keeps the counts.
    """

    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor: Mapped[str] = mapped_column(String(64))  # the user's (or relay site's) name
    source: Mapped[str] = mapped_column(String(16))  # form, json, api, relay, cli, bulk
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
    send_key: Mapped[str | None] = mapped_column(String(160), unique=True, default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    sender: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(1))  # S or L
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    recipients: Mapped[str | None] = mapped_column(Text, default=None)  # JSON [[phone, name]]
    recipient_count: Mapped[int] = mapped_column(Integer)
    #: Credits the send was forecast to use when it was logged (recipients x credits per
    #: message x repeats; 0 for a test): what it costs if the gateway takes it.
    forecast: Mapped[int] = mapped_column(Integer)
    #: Credits the gateway charged: the forecast once it took the send, 0 for a test, a
    #: refusal or a send that never reached it; None while pending or unknown (at most the
    #: forecast) until an administrator marks it sent (the forecast) or not sent (0).
    cost: Mapped[int | None] = mapped_column(Integer, default=None)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The law sees an advertisement (services.compliance): the switch, or ``(광고)``.
    advertising: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reserve_at: Mapped[datetime | None] = mapped_column(default=None)  # UTC
    repeat_num: Mapped[int | None] = mapped_column(Integer, default=None)
    repeat_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    result: Mapped[str] = mapped_column(String(16), default=Result.PENDING.value)
    code: Mapped[str | None] = mapped_column(String(16), default=None)
    remaining: Mapped[int | None] = mapped_column(Integer, default=None)
    answer: Mapped[str | None] = mapped_column(String(300), default=None)  # key removed
    detail: Mapped[str | None] = mapped_column(String(300), default=None)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    marked: Mapped[str | None] = mapped_column(String(16), default=None)  # sent / not_sent
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    marked_at: Mapped[datetime | None] = mapped_column(default=None)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)
    #: An advertisement's recipients that opted out (services.optouts), removed before the
    #: call: JSON ["010-1234-5678", ...] (None: nobody removed). Purged with the recipients.
    excluded: Mapped[str | None] = mapped_column(Text, default=None)
    #: How many of the send's numbers were on the opt-out list: removed (an advertisement)
    #: or reached anyway (any other send, which may lawfully go); None: none.
    opted_out: Mapped[int | None] = mapped_column(Integer, default=None)
    #: A bulk job's batch (source ``bulk``): the job and the batch's number; None otherwise.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), default=None, index=True)
    batch: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The delivery sync (``services.delivery``): when every recipient's outcome became
    #: final (None: some may still be waiting), and when the gateway's list first showed
    #: one of them (which settles an ``unknown`` send as sent).
    delivery_done_at: Mapped[datetime | None] = mapped_column(default=None)
    listed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_sends_created_at", "created_at"),
        Index("ix_sends_user_created", "user_id", "created_at"),
        Index("ix_sends_result_created", "result", "created_at"),
        Index("ix_sends_source_created", "source", "created_at"),
        # The sends whose delivery may still change (services.delivery reads only these).
        Index("ix_sends_delivery_open", "created_at",
              sqlite_where=literal_column("delivery_done_at IS NULL"),
              postgresql_where=literal_column("delivery_done_at IS NULL")),
        # The reservations by their time (what the result list may show since a time).
        Index("ix_sends_reserve_at", "reserve_at",
              sqlite_where=literal_column("reserve_at IS NOT NULL"),
              postgresql_where=literal_column("reserve_at IS NOT NULL")),
        # PostgreSQL only: the trigram index of the texts (SEND_TEXT_TRGM, above).
        Index(SEND_TEXT_TRGM, literal_column("text"), postgresql_using="gin",
              postgresql_ops={"text": "gin_trgm_ops"}).ddl_if(
            dialect="postgresql", callable_=_trigram_ops_visible),
    )


#: The recipients' numbers on PostgreSQL (migration 0008 makes the same): a GIN trigram index
#: of ``send_recipients.phone``, which serves a part of a number (``phone LIKE '%5678%'``).
RECIPIENT_PHONE_TRGM = "ix_send_recipients_phone_trgm"


class SendRecipient(Model):
    """One recipient of a logged send, so the log can be searched by number and name."""

    __tablename__ = "send_recipients"

    send_id: Mapped[int] = mapped_column(ForeignKey("sends.id", ondelete="CASCADE"),
                                         primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))  # digits only
    name: Mapped[str | None] = mapped_column(Text, default=None)  # for a {name} send
    #: Its delivery outcome (``states.Delivery``, written by ``services.delivery``): None
    #: while waiting (or for a send that never went), then delivered, failed or no_report.
    delivery: Mapped[str | None] = mapped_column(String(12), default=None)
    #: When the gateway's list says it arrived or failed (UTC, naive: its sendDateTime).
    delivery_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The list's failure code (the simulator's resultCode), when it gave one.
    delivery_code: Mapped[str | None] = mapped_column(String(8), default=None)
    #: A failed message's refund time (the list's refundDate), UTC naive.
    refunded_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The listed record could have been another copy too (the same text to the same
    #: number twice within the slack): it was given in order, and is marked so.
    delivery_ambiguous: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())

    __table_args__ = (
        Index("ix_send_recipients_phone", "phone", "send_id"),
        # A name or its beginning (services.sendlog_query): a range on SQLite, LIKE 'x%' on
        # PostgreSQL (text_pattern_ops, whatever the collation); only the named rows.
        Index("ix_send_recipients_name", "name", "send_id",
              postgresql_ops={"name": "text_pattern_ops"},
              sqlite_where=literal_column("name IS NOT NULL"),
              postgresql_where=literal_column("name IS NOT NULL")),
        # The recipients of one delivery outcome (the send log's delivery filter); the
        # waiting ones (no value) are found through their send instead.
        Index("ix_send_recipients_delivery", "delivery", "send_id",
              sqlite_where=literal_column("delivery IS NOT NULL"),
              postgresql_where=literal_column("delivery IS NOT NULL")),
        Index(RECIPIENT_PHONE_TRGM, literal_column("phone"), postgresql_using="gin",
              postgresql_ops={"phone": "gin_trgm_ops"}).ddl_if(
            dialect="postgresql", callable_=_trigram_ops_visible),
    )


# The send log's search aids on SQLite (no mapped tables: Alembic leaves them alone,
# smsform.database.include_name; migrations 0003, 0008 and 0009 make the same):
# - ``sends_search``: an FTS5 trigram index of every send's text, so a word is found
#   anywhere in a text without reading every row. Two trailing spaces make every one- and
#   two-character piece of a text the start of some trigram (services.sendlog_query finds
#   those through ``sends_search_terms``).
# - ``sends_search_counts``: how many sends each Korean day, user and stored result has,
#   so the log's total under the user, result and date filters is a sum of a few rows
#   rather than a count of up to every send; kept by triggers.
# - ``sends_search_state``: how far the two word indexes have got (``texts_upto``: the
#   sends, ``numbers_upto``: the recipient rows). A send is not indexed as it is written
#   (an FTS5 write per transaction cost each send more than its own two rows):
#   services.search_index adds the rows past the marks in one batch, before any search
#   reads an index and every INDEX_EVERY sends. The triggers below keep what is indexed
#   right: an update or delete takes a row out of an index only when it is in it, and a
#   delete lowers a mark to the newest row left (so an id SQLite hands out again after
#   the newest rows were deleted is indexed when it comes back).
SEND_SEARCH = "sends_search"
SEARCH_STATE = f"{SEND_SEARCH}_state"
SEND_SEARCH_DDL = (
    "CREATE TABLE sends_search_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "texts_upto INTEGER NOT NULL, numbers_upto INTEGER NOT NULL)",
    "INSERT INTO sends_search_state (id, texts_upto, numbers_upto) VALUES (1, 0, 0)",
    "CREATE VIRTUAL TABLE sends_search USING fts5("
    "body, content='', columnsize=0, tokenize='trigram')",
    "CREATE VIRTUAL TABLE sends_search_terms USING fts5vocab(sends_search, 'row')",
    "CREATE TRIGGER sends_search_update AFTER UPDATE OF text ON sends "
    "WHEN old.text IS NOT new.text "
    "AND old.id <= (SELECT texts_upto FROM sends_search_state) BEGIN "
    "INSERT INTO sends_search (sends_search, rowid, body) "
    "SELECT 'delete', old.id, old.text || '  ' WHERE old.text IS NOT NULL; "
    "INSERT INTO sends_search (rowid, body) "
    "SELECT new.id, new.text || '  ' WHERE new.text IS NOT NULL; END",
    "CREATE TRIGGER sends_search_delete AFTER DELETE ON sends BEGIN "
    "INSERT INTO sends_search (sends_search, rowid, body) "
    "SELECT 'delete', old.id, old.text || '  ' WHERE old.text IS NOT NULL "
    "AND old.id <= (SELECT texts_upto FROM sends_search_state); "
    "UPDATE sends_search_state SET texts_upto = (SELECT coalesce(max(id), 0) FROM sends) "
    "WHERE texts_upto > (SELECT coalesce(max(id), 0) FROM sends); END",
)
_COUNT_ROW = ("INSERT INTO sends_search_counts (day, user_id, result, n) "
              "VALUES (date({row}.created_at, '+9 hours'), coalesce({row}.user_id, 0), "
              "{row}.result, 1) ON CONFLICT (day, user_id, result) DO UPDATE SET n = n + 1;")
_UNCOUNT_ROW = ("UPDATE sends_search_counts SET n = n - 1 "
                "WHERE day = date(old.created_at, '+9 hours') "
                "AND user_id = coalesce(old.user_id, 0) AND result = old.result;")
SEND_COUNTS_DDL = (
    "CREATE TABLE sends_search_counts (day VARCHAR(10) NOT NULL, user_id INTEGER NOT NULL, "
    "result VARCHAR(16) NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (day, user_id, result)) WITHOUT ROWID",
    "CREATE TRIGGER sends_search_count_insert AFTER INSERT ON sends "
    f"BEGIN {_COUNT_ROW.format(row='new')} END",
    "CREATE TRIGGER sends_search_count_update AFTER UPDATE OF created_at, user_id, result "
    f"ON sends BEGIN {_UNCOUNT_ROW} {_COUNT_ROW.format(row='new')} END",
    f"CREATE TRIGGER sends_search_count_delete AFTER DELETE ON sends BEGIN {_UNCOUNT_ROW} END",
)
#: ``sends_search_numbers``: an FTS5 trigram index of each recipient's digits (rowid: the
#: send_recipients row), so a part of a number (``5678``, ``2222-33``) is found without
#: reading every number; filled as the texts' index is (``sends_search_state``).
SEND_NUMBERS = f"{SEND_SEARCH}_numbers"
SEND_NUMBERS_DDL = (
    "CREATE VIRTUAL TABLE sends_search_numbers USING fts5("
    "phone, content='', columnsize=0, tokenize='trigram')",
    "CREATE TRIGGER sends_search_numbers_delete AFTER DELETE ON send_recipients BEGIN "
    "INSERT INTO sends_search_numbers (sends_search_numbers, rowid, phone) "
    "SELECT 'delete', old.rowid, old.phone "
    "WHERE old.rowid <= (SELECT numbers_upto FROM sends_search_state); "
    "UPDATE sends_search_state "
    "SET numbers_upto = (SELECT coalesce(max(rowid), 0) FROM send_recipients) "
    "WHERE numbers_upto > (SELECT coalesce(max(rowid), 0) FROM send_recipients); END",
)
SEND_SEARCH_DROP = (f"DROP TABLE IF EXISTS {SEND_NUMBERS}",
                    f"DROP TABLE IF EXISTS {SEARCH_STATE}",
                    "DROP TABLE IF EXISTS sends_search_terms",
                    "DROP TABLE IF EXISTS sends_search",
                    "DROP TABLE IF EXISTS sends_search_counts")  # triggers go with ``sends``

for _statement in (*SEND_SEARCH_DDL, *SEND_COUNTS_DDL):
    event.listen(Send.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SEND_SEARCH_DROP:
    event.listen(Send.__table__, "after_drop", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SEND_NUMBERS_DDL:
    event.listen(SendRecipient.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))


@event.listens_for(Send.__table__, "before_create")
def _create_pg_trgm(_table, connection, **_kw) -> None:
    """On PostgreSQL, create pg_trgm for SEND_TEXT_TRGM if it is missing and allowed (in a
    savepoint: a refusal leaves create_all's transaction usable, and the index is left out)."""
    if connection.dialect.name != "postgresql":
        return
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(PG_TRGM)
    except DBAPIError:
        pass


# Alembic's autogenerate on SQLite says it skips the expression index above; it only exists on
# PostgreSQL, where it is compared.
warnings.filterwarnings("ignore", message=f"autogenerate skipping metadata-specified "
                        f"expression-based index '{SEND_TEXT_TRGM}'")
warnings.filterwarnings("ignore", message=f"autogenerate skipping metadata-specified "
                        f"expression-based index '{RECIPIENT_PHONE_TRGM}'")


class AuditEvent(Model):
    """Who did what to whom, when and from where (sign-ins, account changes, marks, purges)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor: Mapped[str] = mapped_column(String(64))  # a user name, "cli", or what was typed
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)  # JSON
    address: Mapped[str | None] = mapped_column(String(64), default=None)


class OptOut(Model):
    """A number that opted out of advertising (수신거부): an advertising send never reaches
    it (services.optouts). ``phone`` is its digits, unique; ``via`` how it was recorded
    (``states.OptOutVia``), ``by_name`` by whom (a user, a relay site, ``cli``);
    ``confirm_send_id`` the send log row of the confirmation text, when one was sent.
    Removing one moves it to ``optout_removals``, with who removed it, when and why."""

    __tablename__ = "optouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)  # digits only
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    via: Mapped[str] = mapped_column(String(8), default=OptOutVia.HAND.value)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    by_name: Mapped[str] = mapped_column(String(64))
    memo: Mapped[str | None] = mapped_column(Text, default=None)
    confirm_send_id: Mapped[int | None] = mapped_column(ForeignKey("sends.id"), default=None)


class OptOutRemoval(Model):
    """An opt-out that was removed: the opt-out as it was (when, how, by whom, its memo)
    and its removal (when, by whom, why), kept so a company can show both."""

    __tablename__ = "optout_removals"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)  # digits only
    opted_out_at: Mapped[datetime] = mapped_column()
    via: Mapped[str] = mapped_column(String(8))
    by_name: Mapped[str] = mapped_column(String(64))
    memo: Mapped[str | None] = mapped_column(Text, default=None)
    removed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    removed_by_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class SimulatorState(Model):
    """The embedded demo gateway's state (credit, results, reservations), kept across
    restarts so a demo behaves like an account."""

    __tablename__ = "simulator_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(Text)  # JSON, the simulator's own snapshot
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Model):
    """A bearer token for ``/api/v1``, named by its user (rules: services.api_tokens).

    Only a digest of the token is kept (SHA-256: the token is 32 random bytes, so a slow
    hash adds nothing); ``prefix`` is its short, non-secret part, for the look-up. A token
    acts with its user's current role, and stops with its revocation or its user.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: A read-only token lists and reads the log, the credit and the senders, never sends.
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RelaySite(Model):
    """A site that sends through the relay with its own id and key (rules: services.relay_sites).

    Only a digest of the key is kept (SHA-256 of 32 random bytes: a slow hash adds nothing);
    the key is shown once. ``senders`` and ``allow_ips`` are JSON lists (numbers with dashes;
    CIDRs, empty for any address); ``daily_limit`` counts credits per Korea-time day (None:
    no limit). Sites are disabled, never deleted: the send log names them.
    """

    __tablename__ = "relay_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    senders: Mapped[str] = mapped_column(Text, default="[]")
    daily_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    test_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_ips: Mapped[str] = mapped_column(Text, default="[]")
    charset: Mapped[str] = mapped_column(String(8), default="auto", server_default="auto")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class MessageTemplate(Model):
    """A saved text the team shares (rules: services.templates): chosen on the send form,
    named by ``template_id`` in the API, later by bulk jobs.

    ``kind`` is the API's ``type`` (auto, sms, lms); ``advertising`` ticks the send's
    advertising switch. Who made and last changed it are kept by name (a user's, or ``cli``)
    and id (None for the CLI), as the audit trail keeps them; deleting one is audited and
    never touches the send log, which keeps its own copy of every text.
    """

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(8), default="auto", server_default="auto")
    advertising: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class Contact(Model):
    """One person of the address book (rules: services.contacts).

    ``phone`` is the number in canonical, dashed form and ``digits`` the same without
    dashes (unique: one contact per number, however it was written); ``tail`` its last
    four digits, so "뒷자리" 5678 is an index look-up. ``fields`` holds the other columns
    (JSON ``{"등급": "VIP"}``) for ``{column}`` merges. Deleting a contact leaves the send
    log alone: the log keeps its own copy of every number and name.
    """

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    digits: Mapped[str] = mapped_column(String(16), unique=True)
    tail: Mapped[str] = mapped_column(String(4))
    #: Ordered by code point on every engine (SQLite's BINARY; PostgreSQL's "C", whatever
    #: the database's collation): Hangul syllables are in 가나다 order there, and a name's
    #: beginning is an exact index range (services.contacts).
    name: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql"),
        default="", server_default="")
    memo: Mapped[str] = mapped_column(Text, default="", server_default="")
    fields: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # The address book's page order (name, then id) and a name's beginning (a range).
        Index("ix_contacts_name_id", "name", "id"),
        Index("ix_contacts_tail", "tail", "id"),
    )


class ContactGroup(Model):
    """A named group of contacts (a contact may be in many)."""

    __tablename__ = "contact_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactMembership(Model):
    """A contact in a group: the group's pages read (group_id, contact_id) in order."""

    __tablename__ = "contact_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"),
                                          primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            primary_key=True)

    __table_args__ = (Index("ix_contact_members_contact", "contact_id"),)


class Job(Model):
    """A bulk send from a list (rules: services.bulk): one row for the job, one per batch
    (``job_batches``, a gateway call each) and one per recipient (``job_recipients``).

    ``state`` is a ``states.JobState`` and ``pause_reason`` a ``states.JobPause``. ``text``
    is the template as typed (``{name}``, ``{column}``); each batch keeps the text it sends.
    The totals are the check's. ``worker`` and ``lease_until`` are the lease of the worker
    running it (another takes it over when the lease has expired); ``failures_in_row``
    counts the batches in a row that did not reach the gateway (three pause the job).
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None,
                                                index=True)
    actor: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # web, api, cli
    state: Mapped[str] = mapped_column(String(16), default=JobState.CHECKING.value)
    pause_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    sender: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, default="")
    kind_choice: Mapped[str] = mapped_column(String(8), default="auto")  # auto, S, L
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    advertising: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime | None] = mapped_column(default=None)  # UTC
    file_name: Mapped[str] = mapped_column(String(255), default="")
    phone_column: Mapped[str | None] = mapped_column(String(255), default=None)
    name_column: Mapped[str | None] = mapped_column(String(255), default=None)
    fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the other columns
    rows: Mapped[int] = mapped_column(Integer, default=0)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    refused_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    opted_out_count: Mapped[int] = mapped_column(Integer, default=0)
    batch_count: Mapped[int] = mapped_column(Integer, default=0)
    sms_count: Mapped[int] = mapped_column(Integer, default=0)
    lms_count: Mapped[int] = mapped_column(Integer, default=0)
    forecast: Mapped[int] = mapped_column(Integer, default=0)  # credits
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(64), default=None)
    resume_at: Mapped[datetime | None] = mapped_column(default=None)  # UTC (night pause)
    pace_ms: Mapped[int | None] = mapped_column(Integer, default=None)  # None: the setting
    worker: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    failures_in_row: Mapped[int] = mapped_column(Integer, default=0)
    #: An API caller's Idempotency-Key (``key:<user>:<key>``, unique: a repeat finds this
    #: job) and a digest of what was asked with it (another list with the same key: 422).
    request_key: Mapped[str | None] = mapped_column(String(160), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    #: A job that retries the failed recipients of another job or of one send
    #: (services.retry) names it; no foreign key, so a purge or a discard never blocks.
    retry_of_job: Mapped[int | None] = mapped_column(Integer, default=None)
    retry_of_send: Mapped[int | None] = mapped_column(Integer, default=None)

    __table_args__ = (Index("ix_jobs_state", "state", "send_at"),
                      Index("ix_jobs_request_key", "request_key", unique=True))


class JobBatch(Model):
    """One gateway call of a job: at most 999 recipients, one sender, text and kind.

    Its recipients are the job's positions ``first_position`` ..
    ``first_position + recipient_count - 1``; ``send_id`` is its send log row, ``code`` the
    gateway's (or the service's) answer, ``cost`` what was charged (None until known).
    """

    __tablename__ = "job_batches"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=BatchState.WAITING.value)
    kind: Mapped[str] = mapped_column(String(1))  # S or L
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    first_position: Mapped[int] = mapped_column(Integer)
    recipient_count: Mapped[int] = mapped_column(Integer)
    forecast: Mapped[int] = mapped_column(Integer)
    cost: Mapped[int | None] = mapped_column(Integer, default=None)
    send_id: Mapped[int | None] = mapped_column(ForeignKey("sends.id"), default=None)
    code: Mapped[str | None] = mapped_column(String(16), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        PrimaryKeyConstraint("job_id", "number"),
        Index("ix_job_batches_state", "job_id", "state", "number"),
    )


class JobBatchPayload(Model):
    """A batch's recipients written out when its job was made (``SendRequest.prepared``):
    the gateway's destination or rphone value, the send log's JSON of them, the longest
    name. A row of its own beside ``job_batches``, whose state changes twice a batch: on
    SQLite a row that changes size is written again whole, these 60 kB with it. None for a
    batch of a job made before migration 0019."""

    __tablename__ = "job_batch_payloads"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    recipients_field: Mapped[str] = mapped_column(Text)
    recipients_logged: Mapped[str] = mapped_column(Text)
    longest_name: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (PrimaryKeyConstraint("job_id", "number"),)


class JobRecipient(Model):
    """One recipient of a job, at its ``position`` (laid out batch by batch, so a batch's
    recipients are contiguous); its outcome is its batch's. Narrow, for millions of rows:
    ``phone`` digits only, ``fields`` JSON of the other columns only when the text merges
    them."""

    __tablename__ = "job_recipients"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    batch: Mapped[int] = mapped_column(Integer)
    row: Mapped[int] = mapped_column(Integer)  # the list's row number
    phone: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(Text, default=None)
    fields: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (PrimaryKeyConstraint("job_id", "position"),)


class JobProblem(Model):
    """A row of the job's list left out: the value as written and why (``code``: the
    list reader's or the check's); a duplicate names the row it repeats."""

    __tablename__ = "job_problems"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(32))
    first_row: Mapped[int | None] = mapped_column(Integer, default=None)

    __table_args__ = (PrimaryKeyConstraint("job_id", "row"),)


class JobUpload(Model):
    """The uploaded list's bytes, kept while the job is ``checking`` (the check page may
    read it again with other columns); deleted when the job starts or is cancelled."""

    __tablename__ = "job_uploads"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliverySync(Model):
    """One run of the delivery sync (``services.delivery``): what it read of the gateway's
    result list and what it wrote, or why it stopped (``-102`` is shown on ``/gateway``)."""

    __tablename__ = "delivery_syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    days: Mapped[int] = mapped_column(Integer, default=0)  # days back it read
    calls: Mapped[int] = mapped_column(Integer, default=0)  # sms_list.php calls made
    listed: Mapped[int] = mapped_column(Integer, default=0)  # records the list gave
    matched: Mapped[int] = mapped_column(Integer, default=0)  # records given a recipient
    foreign: Mapped[int] = mapped_column(Integer, default=0)  # records of no logged send
    ambiguous: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)  # recipients written
    failed: Mapped[int] = mapped_column(Integer, default=0)
    no_report: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)  # unknown sends seen listed
    #: Why it stopped early: a gateway code (``-102``), ``transport``, ``too_many_calls``;
    #: None when it read all it meant to.
    stopped: Mapped[str | None] = mapped_column(String(16), default=None)
    detail: Mapped[str | None] = mapped_column(String(300), default=None)
