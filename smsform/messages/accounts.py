"""Words for accounts and the audit trail: roles and the audited actions (why an account
could not be made or changed is in ``refusals``)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

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
}


def audit_action_text(action: str) -> str:
    """An audited action in words (the code itself when it has none)."""
    words = AUDIT_ACTION_WORDS.get(action)
    return str(words) if words is not None else action


def role_text(role: str) -> str:
    """A role's name for a person."""
    words = {"admin": _l("Administrator"), "sender": _l("Sender (sends and looks up)"),
             "viewer": _l("Viewer (looks up only)")}
    return str(words.get(role, role))


def audit_detail_text(detail: Mapping[str, object]) -> str:
    """An audited event's details for a person: a role change as "from → to"."""
    if {"from", "to"} <= detail.keys():
        return f"{role_text(str(detail['from']))} → {role_text(str(detail['to']))}"
    return ", ".join(f"{key}: {value}" for key, value in detail.items())
