"""Words for the opt-out list (수신거부) beyond its refusals (those are in ``refusals``):
how a number was recorded."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from smsform.messages.common import word_for
from smsform.messages.sendlog import SOURCE_WORDS
from smsform.states import OptOutVia

#: How an opt-out was recorded, for a person.
VIA_WORDS: dict[str, object] = {
    OptOutVia.HAND.value: _l("By hand"),
    OptOutVia.FILE.value: _l("File"),
    OptOutVia.API.value: SOURCE_WORDS["api"],
    OptOutVia.RELAY.value: SOURCE_WORDS["relay"],
    OptOutVia.CLI.value: SOURCE_WORDS["cli"],
}


def via_text(via: str) -> str:
    """How an opt-out was recorded, in words (the code itself when it has none)."""
    return word_for(VIA_WORDS, via)


def excluded_text(count: int) -> str:
    """How many recipients an advertisement left out because they opted out."""
    return ngettext("%(num)s opted-out number (수신거부) was left out of this advertisement "
                    "before it was sent; it is not charged.",
                    "%(num)s opted-out numbers (수신거부) were left out of this advertisement "
                    "before it was sent; they are not charged.", count)
