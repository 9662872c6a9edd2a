"""The navigation: the app's pages grouped by task (send, history, contacts, settings,
admin), each page shown only to those who may open it and only once its blueprint exists.

A coming page slots in as one ``Link`` in its group: the address book, lists and opt-outs
under contacts; templates and bulk jobs under send. A group with no page to show is left
out, and a group of one page is that page's link, so nothing is ever a dead link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from smsform.permissions import Permission


@dataclass(frozen=True)
class Link:
    """One page: its endpoint, its label and the permission it takes (None: anyone)."""

    endpoint: str
    label: Any
    permission: Permission | None = None


@dataclass(frozen=True)
class Group:
    """Pages that serve one task, under one name in the menu."""

    name: str
    label: Any
    links: tuple[Link, ...]


_DASHBOARD = _l("Dashboard")
NAV: tuple[Group, ...] = (
    Group("home", _DASHBOARD, (Link("dashboard.index", _DASHBOARD, Permission.VIEW),)),
    Group("send", _l("Send"), (
        Link("send.smsform", _l("Send SMS"), Permission.SEND),
        Link("bulk.index", _l("Bulk sends"), Permission.VIEW),
        Link("templates.index", _l("Templates"), Permission.VIEW),
    )),
    Group("history", _l("History"), (
        Link("sends.index", _l("Send log"), Permission.VIEW),
        Link("lookup.smsresult", _l("Results"), Permission.VIEW),
        Link("lookup.smscount", _l("Credit"), Permission.VIEW),
    )),
    # the address book, lists and opt-outs
    Group("contacts", _l("Contacts"), (
        Link("contacts.index", _l("Address book"), Permission.VIEW),
        Link("optouts.index", _l("Opt-outs"), Permission.VIEW),
    )),
    Group("settings", _l("Settings"), (
        Link("account.tokens", _l("API tokens")),
        Link("auth.account", _l("My account")),
    )),
    Group("admin", _l("Admin"), (
        Link("admin.users", _l("Users"), Permission.MANAGE_USERS),
        Link("admin.audit_trail", _l("Audit"), Permission.VIEW_AUDIT),
        Link("relay_sites.index", _l("Relay sites"), Permission.MANAGE_RELAYS),
        Link("dashboard.gateway", _l("Gateway check"), Permission.CHECK_GATEWAY),
    )),
)


def _shown(link: Link) -> bool:
    return link.endpoint in current_app.view_functions and (
        link.permission is None or current_user.can(link.permission))


def groups() -> list[dict[str, Any]]:
    """The groups the signed-in person sees, each with its links and the current page
    marked; empty for the anonymous."""
    if not current_user.is_authenticated:
        return []
    shown = []
    for group in NAV:
        links = [{"url": url_for(link.endpoint), "label": link.label,
                  "current": request.endpoint == link.endpoint,
                  "id": "nav-" + link.endpoint.replace(".", "-")}
                 for link in group.links if _shown(link)]
        if links:
            shown.append({"name": group.name, "label": group.label, "links": links,
                          "current": any(link["current"] for link in links)})
    return shown
