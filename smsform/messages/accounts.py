"""Words for accounts and the audit trail: roles and the audited actions (why an account
could not be made or changed is in ``refusals``)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from smsform.messages.common import word_for

#: What each audited action is called on the audit page.
AUDIT_ACTION_WORDS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Failed sign-in"),
    "sign_in_throttled": _l("Sign-in refused (too many failures)"),
    "sign_out": _l("Signed out"),
    "setup": _l("First administrator created"),
    "user_created": _l("User added"),
    "user_role_changed": _l("Role changed"),
    "user_disabled": _l("User disabled"),
    "user_enabled": _l("User enabled"),
    "user_password_reset": _l("Password set by an administrator"),
    "password_changed": _l("Own password changed"),
    "password_change_failed": _l("Wrong current password on the account page"),
    "send_marked": _l("Send outcome marked"),
    "log_purged": _l("Send log purged"),
    "relay_created": _l("Relay site added"),
    "relay_disabled": _l("Relay site disabled"),
    "api_token_created": _l("API token created"),
    "api_token_revoked": _l("API token revoked"),
    "api_token_refused": _l("Wrong API token (first of a window)"),
    "relay_key_refused": _l("Wrong relay key (first of a window)"),
    "template_created": _l("Template saved"),
    "template_changed": _l("Template changed"),
    "template_deleted": _l("Template deleted"),
    "contact_created": _l("Contact added"),
    "contact_changed": _l("Contact changed"),
    "contact_deleted": _l("Contact deleted"),
    "contacts_imported": _l("Contacts imported"),
    "contacts_exported": _l("Contacts exported"),
    "group_created": _l("Contact group added"),
    "group_deleted": _l("Contact group deleted"),
    "optout_added": _l("Opt-out recorded"),
    "optout_removed": _l("Opt-out removed"),
    "optout_imported": _l("Opt-outs imported"),
    "optouts_exported": _l("Opt-out list exported"),
    "job_started": _l("Bulk job started"),
    "job_paused": _l("Bulk job paused"),
    "job_resumed": _l("Bulk job resumed"),
    "job_cancelled": _l("Bulk job cancelled"),
}


def audit_action_text(action: str) -> str:
    """An audited action in words (the code itself when it has none)."""
    return word_for(AUDIT_ACTION_WORDS, action)


def role_text(role: str) -> str:
    """A role's name for a person."""
    words = {"admin": _l("Administrator"), "sender": _l("Sender (sends and looks up)"),
             "viewer": _l("Viewer (looks up only)")}
    return str(words.get(role, role))


#: The names of an audited event's details, for a person (a key not here shows as it is).
AUDIT_DETAIL_WORDS = {
    "user_id": _l("relay id"), "senders": _l("sender numbers"), "daily_limit": _l("daily limit"),
    "test_only": _l("tests only"), "allow_ips": _l("allowed addresses"),
    "charset": _l("charset"), "token": _l("token"), "id": _l("no."), "role": _l("role"),
    "must_change_password": _l("must change the password"), "before": _l("before"),
    "rows": _l("sends"), "mark": _l("mark"), "previous": _l("previous mark"),
    "credential": _l("credential"), "retry_after": _l("seconds to wait"),
    "kind": _l("kind"), "advertising": _l("advertising"), "changed": _l("changed"),
    # the address book (services.contacts): an import's counts, an export
    "added": _l("added"), "updated": _l("updated"), "unchanged": _l("already there"),
    "grouped": _l("put in the group"), "refused": _l("left out"),
    "duplicates": _l("duplicates"), "group": _l("group"), "groups": _l("groups"),
    "contacts": _l("contacts"), "masked": _l("masked"),
    # the opt-out list (services.optouts)
    "via": _l("how"), "memo": _l("memo"), "reason": _l("reason"),
    "opted_out_at": _l("opted out at"), "already": _l("already listed"),
    "numbers": _l("numbers"),
}
#: A relay site's charset, for a person (the relay form's choices and the audit).
CHARSET_WORDS = {"auto": _l("Detect (UTF-8 or EUC-KR)"), "utf-8": "UTF-8", "euc-kr": "EUC-KR"}


def charset_text(charset: str) -> str:
    """A relay site's charset in words: ``auto`` is detection, not a charset's name."""
    return str(CHARSET_WORDS.get(charset, charset))


def _detail_value(key: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    if key == "charset":
        return charset_text(str(value))
    if key == "role":
        return role_text(str(value))
    return str(value)


def audit_detail_text(detail: Mapping[str, object]) -> str:
    """An audited event's details for a person: a role change as "from → to", the others
    as named values (lists joined, nothing as '-', yes or no)."""
    if {"from", "to"} <= detail.keys():
        return f"{role_text(str(detail['from']))} → {role_text(str(detail['to']))}"
    return "; ".join(f"{AUDIT_DETAIL_WORDS.get(key, key)}: {_detail_value(key, value)}"
                     for key, value in detail.items())
