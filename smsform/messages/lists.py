"""Words for the lists read by ``services.lists``: why a row was left out, and how a list
was read (its kind and encoding)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from smsform.messages.bulk import CHECK_ROW_WORDS
from smsform.messages.common import word_for
from smsform.services.lists import RowProblem

#: Why a row of a list was left out, by its code.
ROW_PROBLEM_WORDS: dict[str, LazyString] = {
    "no_phone": _l("No phone number"),
    "invalid_phone": _l("Not a phone number the gateway accepts"),
    "name_too_long": _l("The name is too long"),
    "no_name": _l("No name, and the text uses {name}"),
    "name_control_chars": _l("The name holds control characters"),
    "name_unsupported_chars": _l("The name holds characters a text message cannot carry"),
    "duplicate": _l("A number listed again"),
}

#: How a list came.
LIST_KIND_WORDS: dict[str, LazyString] = {
    "csv": _l("CSV"),
    "tsv": _l("TSV"),
    "xlsx": _l("Excel (.xlsx)"),
    "xls": _l("Excel 97-2003 (.xls)"),
    "paste": _l("Pasted text"),
    "json": _l("A list given through the API"),
}


def row_problem_text(problem: RowProblem) -> str:
    """Why a row was left out, in the request's language (a duplicate names its first row):
    by the reader, or by a bulk job's check (``messages.bulk.CHECK_ROW_WORDS``)."""
    if problem.code == "duplicate" and problem.first_row is not None:
        return _("A number listed again (first in row %(row)s)", row=problem.first_row)
    words = ROW_PROBLEM_WORDS if problem.code in ROW_PROBLEM_WORDS else CHECK_ROW_WORDS
    return word_for(words, problem.code)


def list_kind_text(kind: str) -> str:
    """A list's kind in words."""
    return word_for(LIST_KIND_WORDS, kind)
