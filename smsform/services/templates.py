"""Message templates: the team's saved texts, checked as a send checks its text.

A template has a name (unique, 1 to 64 printable characters), a text, an LMS subject, a
kind (the API's ``type``: auto, sms, lms) and the advertising flag. Its text is judged on
every save by the library's own rules (``cafe24.message.check_message``: EUC-KR characters,
the gateway's refused characters, control characters, the LMS limit, the subject), so a
saved text sends as it was saved; its merge fields (``{name}``, and the ``{column}`` fields
a bulk job merges) are listed. Creating, changing and deleting are audited. No HTTP here:
the pages, the API, the CLI and the bulk jobs all read and write through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from cafe24 import message
from cafe24.text import Problem, euckr_length, normalize_text
from smsform.extensions import db
from smsform.models import MessageTemplate, in_korea, utcnow
from smsform.services import audit
from smsform.services.audit import AuditActor
from smsform.services.refusals import Refusal

#: A template's kinds, as the API's ``type`` names them (the form: auto or LMS).
KINDS = ("auto", "sms", "lms")
NAME_MAX = 64
#: The most characters a text may have before it is judged at all (a full LMS has 2,000
#: bytes, so at most 2,000 characters: anything far longer is refused unread).
TEXT_MAX_CHARS = 10 * message.LMS_LIMIT

_table = MessageTemplate.__table__
_BY_ID = select(_table).where(_table.c.id == bindparam("id"))


class TemplateError(Refusal):
    """A template could not be saved, found or deleted; ``code`` says why. A text that
    would not send is ``text_invalid`` with the library's ``problems``, each naming its
    field (``msg`` or ``subject``) as a send's problems do."""

    def __init__(self, code: str, problems: Sequence[Problem] = (), **params: object) -> None:
        super().__init__(code, **params)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class SavedText:
    """A template as pages, the API, the CLI and the send paths read it."""

    id: int
    name: str
    text: str
    subject: str
    kind: str
    advertising: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, row: Any) -> SavedText:
        """The template of a ``message_templates`` row."""
        return cls(row.id, row.name, row.text, row.subject or "", row.kind, bool(row.advertising),
                   row.created_at, row.created_by, row.updated_at, row.updated_by)

    @property
    def fields(self) -> list[str]:
        """Its merge fields (``name`` for ``{name}``), once each, in first-seen order."""
        return message.merge_fields(self.text)

    @property
    def length(self) -> int:
        """Its text's EUC-KR bytes, as written (before any merge)."""
        return euckr_length(self.text)

    @property
    def message_kind(self) -> str:
        """``S`` or ``L``: what its text is sent as before any merge."""
        return message.message_kind(self.text, self.kind == "lms")

    @property
    def updated_in_korea(self) -> datetime:
        """When it was last changed, in Korea time, to the second."""
        return in_korea(self.updated_at).replace(microsecond=0)

    @property
    def lms(self) -> bool:
        """True when it forces an LMS (the form's LMS switch)."""
        return self.kind == "lms"

    def problems(self) -> list[Problem]:
        """What would stop its text from being sent today (empty: it sends)."""
        return check_text(self.text, self.subject, self.kind)


def check_name(name: str) -> str:
    """The name, trimmed: 1 to 64 printable characters."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise TemplateError("name_invalid", max=NAME_MAX)
    return name


def check_kind(kind: str) -> str:
    """One of ``KINDS`` (empty: auto)."""
    kind = (kind or "auto").strip().lower()
    if kind not in KINDS:
        raise TemplateError("kind_invalid", value=kind[:20], choices=", ".join(KINDS))
    return kind


def check_text(text: str, subject: str = "", kind: str = "auto") -> list[Problem]:
    """The send's own rules on a text and its subject (a subject, when given, is judged as
    an LMS's, since a ``{name}`` merge can make any text one); an ``sms`` past 90 bytes."""
    if len(text) > TEXT_MAX_CHARS:
        return [Problem("msg", "msg_too_long", {"length": euckr_length(text[:TEXT_MAX_CHARS]),
                                                "limit": message.LMS_LIMIT})]
    return list(message.check_message(text, subject, lms=kind == "lms" or bool(subject))
                .problems)


def _judged(name: str, text: str, subject: str, kind: str) -> dict[str, Any]:
    """The values to store, or TemplateError naming what is wrong."""
    name, kind = check_name(name), check_kind(kind)
    text, subject = normalize_text(text or ""), normalize_text(subject or "").strip()
    problems = check_text(text, subject, kind)
    if problems:
        raise TemplateError("text_invalid", problems, count=len(problems))
    length = euckr_length(text)
    if kind == "sms" and length > message.SMS_LIMIT:
        raise TemplateError("sms_too_long", length=length, limit=message.SMS_LIMIT)
    return {"name": name, "text": text, "subject": subject, "kind": kind}


def list_all() -> list[SavedText]:
    """Every template, by name."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(_table).order_by(_table.c.name)).all()
    return [SavedText.of(row) for row in rows]


def get(template_id: int) -> SavedText | None:
    """The template with this id, or None (one SELECT by the primary key)."""
    with db.engine.connect() as connection:
        row = connection.execute(_BY_ID, {"id": template_id}).first()
    return SavedText.of(row) if row is not None else None


def _by_name(name: str) -> SavedText | None:
    with db.engine.connect() as connection:
        row = connection.execute(select(_table).where(_table.c.name == name)).first()
    return SavedText.of(row) if row is not None else None


def find(ref: str) -> SavedText:
    """The template a person names by its id or its name; TemplateError ``not_found``."""
    ref = (ref or "").strip()
    found = _by_name(ref)
    if found is None and ref.isascii() and ref.isdigit() and len(ref) < 10:
        found = get(int(ref))
    if found is None:
        raise TemplateError("not_found", ref=ref[:80])
    return found


def create(name: str, text: str, *, subject: str = "", kind: str = "auto",
           advertising: bool = False, by: AuditActor) -> SavedText:
    """Save a new template (audited).

    :raises TemplateError: a rule is broken (``text_invalid`` with the text's problems), or
        the name is taken (``name_taken``).
    """
    values = _judged(name, text, subject, kind)
    now = utcnow()
    values.update(advertising=bool(advertising), created_at=now, updated_at=now,
                  created_by=by.name[:64], created_by_id=by.id,
                  updated_by=by.name[:64], updated_by_id=by.id)
    try:
        with db.engine.begin() as connection:
            key = connection.execute(insert(_table).values(**values)).inserted_primary_key
    except IntegrityError:
        raise TemplateError("name_taken", name=values["name"]) from None
    assert key is not None
    new_id = int(key[0])
    audit.record_by("template_created", by, target=values["name"], detail={
        "id": new_id, "kind": values["kind"], "advertising": values["advertising"]})
    saved = get(new_id)
    assert saved is not None
    return saved


def change(template_id: int, name: str, text: str, *, subject: str = "", kind: str = "auto",
           advertising: bool = False, by: AuditActor) -> SavedText:
    """Change a template (audited, naming what changed); the same rules as ``create``.

    :raises TemplateError: ``not_found``, a rule broken, or the new name taken.
    """
    before = get(template_id)
    if before is None:
        raise TemplateError("not_found", ref=str(template_id))
    values = _judged(name, text, subject, kind)
    values["advertising"] = bool(advertising)
    changed = [key for key, value in values.items() if getattr(before, key) != value]
    if not changed:
        return before
    values.update(updated_at=utcnow(), updated_by=by.name[:64], updated_by_id=by.id)
    try:
        with db.engine.begin() as connection:
            connection.execute(update(_table).where(_table.c.id == template_id).values(**values))
    except IntegrityError:
        raise TemplateError("name_taken", name=values["name"]) from None
    detail: dict[str, object] = {"id": template_id, "changed": changed}
    if "name" in changed:
        detail["before"] = before.name
    audit.record_by("template_changed", by, target=values["name"], detail=detail)
    after = get(template_id)
    assert after is not None
    return after


def remove(template_id: int, *, by: AuditActor) -> SavedText:
    """Delete a template (audited); the send log keeps the texts it sent.

    :raises TemplateError: ``not_found``.
    """
    saved = get(template_id)
    if saved is None:
        raise TemplateError("not_found", ref=str(template_id))
    with db.engine.begin() as connection:
        gone = connection.execute(delete(_table).where(_table.c.id == template_id)).rowcount
    if not gone:  # deleted by someone else meanwhile
        raise TemplateError("not_found", ref=str(template_id))
    audit.record_by("template_deleted", by, target=saved.name, detail={"id": template_id})
    return saved
