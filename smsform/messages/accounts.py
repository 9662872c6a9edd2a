"""Words for accounts and the audit trail: why an account could not be made or changed,
roles, and the audited actions."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from smsform.services.accounts import AccountError

ACCOUNT_SENTENCES = {
    "username_chars": _l("Use only letters, digits and _ . @ -"),
    "username_taken": _l("The user %(username)s exists already."),
    "unknown_role": _l("Unknown role: %(role)s"),
    "username_length": _l("A user name has %(min)s to %(max)s characters."),
    "password_too_short": _l("The password must be at least %(min)s characters."),
    "password_too_long": _l("The password must be at most %(max)s characters."),
    "unknown_user": _l("There is no user %(username)s."),
    "last_admin": _l("%(username)s is the last active administrator: make another "
                     "administrator first."),
    "wrong_current_password": _l("The current password is wrong."),
    "password_unchanged": _l("Choose a new password, not the current one."),
}


def account_error_text(exc: AccountError) -> str:
    """Why an account could not be made or changed."""
    sentence = ACCOUNT_SENTENCES.get(exc.code)
    return str(sentence) % exc.params if sentence is not None else exc.code


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
