"""Words for the relay (/admin/relays, ``flask --app app relay``): why a relay site could not
be made or found."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from smsform.messages.common import format_params
from smsform.services.relay import RelayError

#: Why a relay site could not be made or found (codes of services.relay.RelayError).
RELAY_SENTENCES = {
    "name_invalid": _l("A name is 1 to %(max)s printable characters."),
    "name_taken": _l("There is already a relay site named %(name)s."),
    "sender_invalid": _l("%(number)s is not a phone number."),
    "no_senders": _l("Give at least one sender number the site may use."),
    "network_invalid": _l("%(value)s is not an address or a network (CIDR, for example "
                          "203.0.113.0/24)."),
    "limit_invalid": _l("A daily limit is a whole number of credits from 1 to %(max)s, or "
                        "empty for no limit."),
    "charset_invalid": _l("%(value)s is not a charset the relay reads: auto, utf-8 or euc-kr."),
    "not_found": _l("There is no relay site named %(name)s."),
}


def relay_error_text(exc: RelayError) -> str:
    """Why a relay site could not be made or found, in words."""
    sentence = RELAY_SENTENCES.get(exc.code)
    return str(sentence) % format_params(exc.params) if sentence is not None else exc.code
