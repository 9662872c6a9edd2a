"""Who may do what: roles, named permissions and the one decorator that checks them.

Flask-Login holds the signed-in user (``current_user``). A view names the permission it
needs with ``@requires(Permission.SEND)``: anonymous visitors are sent to sign in (or to
first set-up), JSON callers get 401, and a signed-in user without the permission gets
403, whatever the page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from flask import abort

from smsform.current import this_user
from smsform.extensions import login_manager


class Permission(StrEnum):
    """What a role allows, by name."""

    SEND = "send_messages"
    VIEW = "view_results"  # results, credit, the dashboard and the send log (numbers masked)
    SEE_NUMBERS = "see_numbers"  # recipient numbers in the send log, unmasked
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MARK_SENDS = "mark_sends"  # settle an unknown outcome as sent or not sent
    CHECK_GATEWAY = "check_gateway"
    MANAGE_RELAYS = "manage_relays"  # issue and disable relay credentials for sites
    READ_ALL_SENDS = "read_all_sends"  # the API reads every user's sends, not only one's own
    MANAGE_TEMPLATES = "manage_templates"  # create, change and delete the shared templates
    EDIT_CONTACTS = "edit_contacts"  # add, change, import and delete contacts and groups
    EDIT_OPTOUTS = "edit_optouts"  # add, import and remove (with a reason) opt-outs (수신거부)


#: Each role and what it may do; the first role listed is the most powerful.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "sender": frozenset({Permission.SEND, Permission.VIEW, Permission.SEE_NUMBERS,
                         Permission.MANAGE_TEMPLATES, Permission.EDIT_CONTACTS,
                         Permission.EDIT_OPTOUTS}),
    "viewer": frozenset({Permission.VIEW}),
}
ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)
DEFAULT_ROLE = "sender"


def role_allows(role: str, permission: Permission) -> bool:
    """True when ``role`` has ``permission`` (an unknown role has none)."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def requires(*permissions: Permission) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let the view run only for a signed-in user holding every one of ``permissions``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = this_user()  # looked up once
            if not user.is_authenticated:
                return login_manager.unauthorized()
            if not all(user.can(p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permissions = permissions  # type: ignore[attr-defined] # error page
        return wrapped

    return decorator
