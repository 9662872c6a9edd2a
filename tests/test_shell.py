"""The shell (templates/base.html, smsform/views/navigation.py, templates/components/):
the navigation grouped by task with no dead links, a coming page slotting into its group,
and every list table built by the one component, each cell named for a phone."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Blueprint

from simulator import DEMO_SENDERS
from smsform.views import navigation
from tests.support import build_app, page, sign_in, valid_send

GROUPS = {
    "admin": ["home", "send", "history", "contacts", "settings", "admin"],
    "sender": ["home", "send", "history", "contacts", "settings"],
    "viewer": ["home", "send", "history", "contacts", "settings"],  # send: the templates
}


@pytest.mark.parametrize("role", GROUPS)
def test_the_navigation_is_grouped_by_task(app, role):
    client = sign_in(app, role)
    soup = page(client.get("/dashboard"))
    groups = soup.select("nav#nav > ul.nav-groups > li")
    assert [li["id"].removeprefix("nav-group-") for li in groups] == GROUPS[role]
    for li in groups:
        links = li.select("a")
        if "nav-group" in li["class"]:  # a menu: its name opens the list after it
            assert len(links) > 1
            assert li.select_one("details.nav-toggle > summary").get_text(strip=True)
            assert li.select_one("ul.nav-menu")["aria-labelledby"] == li.select_one(
                ".nav-heading")["id"]
        else:  # a group of one page is that page's link
            assert len(links) == 1
    for a in soup.select("nav#nav a"):
        assert client.get(a["href"]).status_code == 200, a["href"]
    assert soup.select_one("details#menu-toggle > summary").get_text(strip=True) == "메뉴"


def test_the_group_of_the_page_one_is_on_is_marked(app):
    soup = page(sign_in(app, "admin").get("/audit"))
    assert "is-current" in soup.select_one("#nav-group-admin")["class"]
    assert soup.select_one("#nav-admin-audit_trail")["aria-current"] == "page"
    assert soup.select("#nav [aria-current]") == [soup.select_one("#nav-admin-audit_trail")]


def test_a_coming_page_slots_into_its_group_once_it_exists(backend, monkeypatch):
    contacts = replace(navigation.NAV[3], links=(
        navigation.Link("coming.index", "목록", None),))
    assert navigation.NAV[3].name == "contacts"
    monkeypatch.setattr(navigation, "NAV", (*navigation.NAV[:3], contacts,
                                            *navigation.NAV[4:]))
    before = page(sign_in(build_app(backend), "viewer").get("/dashboard"))
    assert before.select_one("#nav-group-contacts") is None  # no dead link

    app = build_app(backend)
    bp = Blueprint("coming", __name__)
    bp.add_url_rule("/coming", "index", lambda: "a coming page")
    app.register_blueprint(bp)
    after = page(sign_in(app, "viewer").get("/dashboard"))
    assert after.select_one("#nav-group-contacts a#nav-coming-index")["href"] == "/coming"


def test_anonymous_visitors_get_no_menu(client):
    soup = page(client.get("/login", follow_redirects=True))
    assert soup.select_one("#nav") is None and soup.select_one("#menu-toggle") is None
    assert soup.select_one("header .tools #lang-switch") is not None


STACKED = ["/sends", "/audit", "/admin/users", "/account/tokens", "/admin/relays",
           "/smsresult"]


@pytest.mark.parametrize("path", STACKED)
def test_every_list_is_the_table_component_with_each_cell_named(admin_client, path):
    admin_client.post("/smssend", data=valid_send(sphone=DEMO_SENDERS[0]))
    admin_client.post("/account/tokens", data={"name": "nightly"})
    admin_client.post("/admin/relays", data={"name": "shop", "senders": DEMO_SENDERS[1],
                                             "daily_limit": "", "allow_ips": "",
                                             "charset": "auto"})
    soup = page(admin_client.get(path))
    tables = soup.select("main table")
    assert tables and all(t.parent.name == "div" and "table-wrap" in t.parent["class"]
                          for t in tables)
    table = soup.select_one("main table.data.stack")
    headings = [th.get_text(strip=True) for th in table.select("thead th")]
    rows = [tr for tr in table.select("tbody tr") if len(tr.select("td")) == len(headings)]
    assert rows, path
    for tr in rows:
        assert [td.get("data-label") for td in tr.select("td")] == headings
