"""The relay's gate: what a request of a site must pass before anything reaches the gateway.

In order: the wrong keys lately tried from its address (too many: held off for a while),
its key (compared in constant time with the kept digest; an unknown id costs what a wrong
key costs), the networks it may call from, its rate (``RELAY_RATE``, all paths together;
``sms_list.php`` also counts its extra gateway calls), and for a send, the admission
against its daily limit (before the send is logged, and again once its row is committed).
The wire's views ask the gate and answer its ``Denial`` with the gateway's codes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

from flask import current_app

from smsform import logs
from smsform.limiter import credential_refused, credential_wait, request_wait
from smsform.services.relay_sites import (
    Site,
    allowance,
    find_by_user_id,
    hash_key,
    note_use,
    used_today,
)

#: Requests one site may make, all paths together (``RELAY_RATE_LIMIT`` in tests and benches).
RELAY_RATE = "120 per minute"
#: The credential kind wrong relay keys are counted under (smsform.limiter).
KEY_CREDENTIAL = "relay_key"

log = logs.get("relay")
# Compared against when the id is unknown, so a wrong id costs what a wrong key costs.
_NO_HASH = hashlib.sha256(b"no such relay site").hexdigest()


class Denial(StrEnum):
    """Why the relay refuses a request before it reaches the gateway (the views give each
    the gateway's code for it)."""

    MISSING = "missing"  # no id or no key
    AUTH = "auth"  # no such site, a wrong key, a disabled site
    ADDRESS = "address"  # called from outside the site's networks
    SENDER = "sender"  # a sender the site may not use
    DAILY_LIMIT = "daily_limit"  # the send would pass the site's limit for the day
    SMS_TOO_LONG = "sms_too_long"  # an SMS over 90 bytes: the gateway does not make it an LMS


def address_allowed(site: Site, address: str | None) -> bool:
    """True when ``address`` is in one of the site's networks (any, when none is set)."""
    if not site.allow_ips:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(cidr) for cidr in site.allow_ips)


def key_failures_wait(address: str | None) -> int:
    """0 when ``address`` may present a key now, else the seconds until it may (too many
    wrong keys from it lately)."""
    return credential_wait(KEY_CREDENTIAL, address)


def open_site(site: Site | None, user_id: str, secure: str,
              address: str | None) -> Site | Denial:
    """``site`` (what ``user_id`` names, already looked up) if ``secure`` is its key, it is
    active and ``address`` may use it; else why not. A wrong key is counted against the
    address (and the first of a window audited)."""
    if not user_id or not secure:
        return Denial.MISSING
    stored = site.key_hash if site is not None else _NO_HASH
    if not hmac.compare_digest(stored, hash_key(secure)) or site is None or not site.active:
        credential_refused(KEY_CREDENTIAL, address,
                           f"site {site.name}" if site is not None else "no such id")
        return Denial.AUTH
    if not address_allowed(site, address):
        log.warning("relay site=%s refused: address %s not allowed", site.name, address)
        return Denial.ADDRESS
    note_use(site)
    return site


def authenticate(user_id: str, secure: str, address: str | None) -> Site | Denial:
    """The active site these credentials open from ``address``, or why not."""
    return open_site(find_by_user_id(user_id) if user_id else None, user_id, secure, address)


def throttle_wait(site: Site) -> int:
    """Count one request (or one gateway call) of the site: 0 when it may be made now, else
    the seconds until it may."""
    return request_wait(current_app.config.get("RELAY_RATE_LIMIT", RELAY_RATE),
                        "smsform-relay", site.user_id)


@dataclass
class Admission:
    """One send's way past the site's daily limit: checked against the send log before the
    send is logged (``plainly_over``: a send plainly over writes nothing), and again once
    its row is committed (``admit``, handed to the send service), so sends of one site at
    the same instant never spend past the limit together."""

    site: Site
    cost: int
    #: What the second check counted, this send included (None until it ran).
    counted: int | None = field(default=None, init=False)

    @property
    def limited(self) -> bool:
        """True when the send costs something against a daily limit."""
        return self.site.daily_limit is not None and self.cost > 0

    def plainly_over(self) -> int | None:
        """What the site may still spend today when this send would pass its limit, else
        None."""
        if not self.limited:
            return None
        left = allowance(self.site)
        if left is not None and self.cost > left:
            log.info("relay site=%s over its daily limit (cost=%d left=%d)", self.site.name,
                     self.cost, left)
            return left
        return None

    def admit(self, send_id: int) -> bool:
        """True when the sends logged up to this one (its row committed) fit the limit."""
        assert self.site.daily_limit is not None
        self.counted = used_today(self.site, through=send_id)
        return self.counted <= self.site.daily_limit

    def left_after(self, real: int | None) -> int | None:
        """What the site may still spend after this send (as the admission counted it, so no
        third query), capped by the real credit; the real credit when it has no limit."""
        if self.site.daily_limit is None or real is None:
            return real
        left = (max(0, self.site.daily_limit - self.counted) if self.counted is not None
                else allowance(self.site))
        return real if left is None else min(left, real)
