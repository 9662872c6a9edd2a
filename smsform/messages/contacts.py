"""Words for the address book beyond its refusals (those are in ``refusals``)."""

from __future__ import annotations

from flask_babel import gettext as _


def contacts_number_search_text() -> str:
    """Why a viewer may not search the address book by number."""
    return _("Searching by phone number needs the right to see numbers; viewers see them "
             "masked. Search by name instead.")
