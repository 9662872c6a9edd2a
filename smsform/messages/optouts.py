"""Words for the opt-out list (수신거부) beyond its refusals (those are in ``refusals``):
how a number was recorded."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
