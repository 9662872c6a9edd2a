"""The dashboard: live credit, sends by result (Korea days, unknown ageing), the 30-day
chart and its text, the sends that need a look; landing and navigation by role."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cafe24 import codes
from config import SettingsError
from smsform.extensions import db
from smsform.models import Send, utcnow
from smsform.services import dashboard, sendlog
from smsform.views.dashboard import PANEL_HEIGHT, nice_ceiling
from tests.support import build_app, make_user, page, sign_in, valid_send

#: 2024-06-10 12:00 in Korea (KST = UTC+9): "today" in these tests is 2024-06-10.
NOW = datetime(2024, 6, 10, 3, 0)
TODAY_STARTS = datetime(2024, 6, 9, 15, 0)  # 2024-06-10 00:00 KST, in UTC
WEEK_STARTS = datetime(2024, 6, 3, 15, 0)  # 2024-06-04 00:00 KST: today and 6 days before
MONTH_STARTS = datetime(2024, 5, 11, 15, 0)  # 2024-05-12 00:00 KST: today and 29 before
SECOND = timedelta(seconds=1)
EN = {"lang": "en"}


def log_send(app, created_at: datetime, result: str = "success", *, recipients: int = 1,
             repeat: int | None = None, kind: str = "S", test: bool = False,
             code: str | None = None, actor: str = "kim", marked: str | None = None) -> int:
    """Write one send log row as the send service would have left it; its id."""
    cost = 0 if test else (3 if kind == "L" else 1) * recipients * (repeat or 1)
    with app.app_context():
        row = Send(created_at=created_at, actor=actor, source="form", sender="02-123-4567",
                   kind=kind, text="안녕", recipients="[]", recipient_count=recipients,
                   forecast=cost, cost=cost if result in ("success", "reserved") else 0,
                   test=test, repeat_num=repeat, result=result, code=code,
                   marked=marked)
        db.session.add(row)
        db.session.commit()
        return row.id


def summary(app, now: datetime = NOW) -> dashboard.Summary:
    with app.app_context():
        return dashboard.summary(now)


# -- counts by result -----------------------------------------------------------------


def test_counts_follow_korea_days_at_each_window_edge(app):
    log_send(app, TODAY_STARTS)  # 00:00:00 KST today
    log_send(app, TODAY_STARTS - SECOND)  # 23:59:59 KST yesterday: the week, not today
    log_send(app, WEEK_STARTS)  # the week's first second
    log_send(app, WEEK_STARTS - SECOND, "refused", code="-114")  # the month, not the week
    log_send(app, MONTH_STARTS, "reserved")  # the month's first second
    log_send(app, MONTH_STARTS - SECOND)  # 31 days ago: counted nowhere
    log_send(app, NOW + timedelta(days=1))  # tomorrow (a clock ahead): counted nowhere

    counts = summary(app).counts
    assert counts["today"]["success"] == 1
    assert counts["week"]["success"] == 3
    assert (counts["month"]["success"], counts["month"]["refused"],
            counts["month"]["reserved"]) == (3, 1, 1)
    assert [summary(app).total(w) for w in ("today", "week", "month")] == [1, 3, 5]


def test_a_pending_send_past_the_gateways_time_limits_counts_as_unknown(app):
    with app.app_context():
        limit = sendlog.unknown_after()
    log_send(app, NOW - limit - SECOND, "pending")  # the process stopped during the call
    log_send(app, NOW - SECOND, "pending")  # still being sent
    log_send(app, NOW - timedelta(hours=1), "unknown")  # an answer that was lost

    today = summary(app).counts["today"]
    assert (today["unknown"], today["pending"]) == (2, 1)


def test_counts_table_shows_each_result_for_each_window(app, admin_client):
    now = utcnow()
    log_send(app, now - timedelta(minutes=5))
    log_send(app, now - timedelta(minutes=5), "test", test=True)
    log_send(app, now - timedelta(days=10), "refused", code="-201")

    soup = page(admin_client.get("/dashboard"))
    cells = {row["id"]: [td.get_text(strip=True) for td in row.select("td")]
             for row in soup.select("table.counts tr.count-row")}
    assert cells["count-success"] == ["1", "1", "1"]
    assert cells["count-test"] == ["1", "1", "1"]
    assert cells["count-refused"] == ["0", "0", "1"]
    assert cells["count-total"] == ["2", "2", "3"]
    header = [th.get_text(strip=True) for th in soup.select("table.counts thead th")]
    assert len(header) == 4


# -- the chart's numbers -------------------------------------------------------------------


def test_chart_counts_accepted_messages_and_credits_by_korea_day(app):
    log_send(app, TODAY_STARTS, recipients=3, repeat=2)  # 6 messages, 6 credits
    log_send(app, TODAY_STARTS + timedelta(hours=1), "reserved", kind="L", recipients=2)  # 2, 6
    log_send(app, TODAY_STARTS - SECOND, recipients=4)  # yesterday in Korea: 4, 4
    log_send(app, TODAY_STARTS, "test", recipients=5, test=True)  # apart: never charged
    log_send(app, TODAY_STARTS, "refused", recipients=7, code="-201")  # nothing went out
    log_send(app, TODAY_STARTS, "unknown", recipients=9)  # may or may not have: not counted
    log_send(app, TODAY_STARTS, "not_sent", recipients=11)

    days = summary(app).days
    assert len(days) == 30
    assert (days[0].day.isoformat(), days[-1].day.isoformat()) == ("2024-05-12", "2024-06-10")
    today, yesterday = days[-1], days[-2]
    assert (today.messages, today.credits, today.test_messages) == (8, 12, 5)
    assert (yesterday.messages, yesterday.credits, yesterday.test_messages) == (4, 4, 0)
    assert sum(d.messages for d in days[:-2]) == 0


def test_chart_is_inline_svg_with_a_title_a_description_and_its_numbers(app, admin_client):
    now = utcnow()
    log_send(app, now - timedelta(minutes=1), recipients=4)
    log_send(app, now - timedelta(minutes=1), recipients=1, kind="L")
    log_send(app, now - timedelta(minutes=1), "test", recipients=2, test=True)

    soup = page(admin_client.get("/dashboard", query_string=EN))
    svg = soup.select_one("svg#chart")
    assert svg["role"] == "img"
    assert svg["aria-labelledby"] == "chart-title chart-desc"
    assert svg.select_one("title#chart-title").get_text() == (
        "Messages and credits used, last 30 days")
    desc = svg.select_one("desc#chart-desc").get_text()
    assert "the gateway accepted 5 messages" in desc
    assert "They used 7 credits." in desc
    assert "not counted: 2 messages" in desc
    assert soup.select_one("#chart-summary").get_text() == desc  # readable on the page too

    [messages_bar] = svg.select("rect.bar-messages")
    [credits_bar] = svg.select("rect.bar-credits")
    assert float(messages_bar["height"]) == PANEL_HEIGHT * 5 / nice_ceiling(5)
    assert float(credits_bar["height"]) == PANEL_HEIGHT * 7 / nice_ceiling(7)
    assert "5 messages" in messages_bar.select_one("title").get_text()
    assert svg.select("[style]") == [] and soup.select("script:not([src])") == []  # CSP

    rows = soup.select("#chart-data tbody tr")
    assert len(rows) == 30
    last = [c.get_text(strip=True) for c in rows[-1].select("th, td")]
    assert last[1:] == ["5", "7", "2"]


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10),
                                                 (11, 20), (180, 200), (1001, 2000)])
def test_chart_scale_tops_at_a_round_number(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_chart_without_sends_says_so(admin_client):
    soup = page(admin_client.get("/dashboard", query_string=EN))
    assert soup.select("svg#chart rect") == []
    assert "accepted 0 messages" in soup.select_one("desc#chart-desc").get_text()


# -- refusals and unknowns -------------------------------------------------------------


def test_latest_refusals_and_unknowns_are_listed_with_their_meaning(app, admin_client):
    now = utcnow()
    with app.app_context():
        limit = sendlog.unknown_after()
    refused = log_send(app, now - timedelta(seconds=10), "refused", code="-114", actor="lee")
    stopped = log_send(app, now - limit - timedelta(minutes=1), "pending")
    log_send(app, now - SECOND, "pending")  # still being sent: not yet a question
    log_send(app, now - timedelta(minutes=2), "unknown", marked="not_sent")  # settled
    log_send(app, now - timedelta(minutes=1))  # a success

    soup = page(admin_client.get("/dashboard"))
    rows = soup.select("#attention ol.attention-list > li")
    assert [r["id"] for r in rows] == [f"attention-{refused}", f"attention-{stopped}"]
    meaning = rows[0].select_one(".meaning").get_text(strip=True)
    assert meaning == codes.describe_send("-114").text("ko")
    assert "lee" in rows[0].get_text()
    assert rows[1]["class"] == ["attention-unknown"]
    link = rows[0].select_one("a.when")["href"]
    assert link == f"/sends/{refused}"
    assert admin_client.get(link).status_code == 200
    english = page(admin_client.get("/dashboard", query_string=EN))
    assert "may or may not have gone out" in english.select_one(
        f"#attention-{stopped} .meaning").get_text()


def test_no_refusals_says_so(admin_client):
    assert page(admin_client.get("/dashboard")).select_one("#attention-none") is not None


# -- credit -----------------------------------------------------------------------------


def test_credit_is_live_with_what_it_buys(admin_client, backend):
    backend.accounts["demo"].credits = 1234
    soup = page(admin_client.get("/dashboard", query_string=EN))
    assert soup.select_one("#remaining")["data-remaining"] == "1234"
    assert soup.select_one("#buys").get_text(strip=True) == "Enough for 1,234 SMS or 411 LMS."
    assert soup.select_one("#low-credit") is None
    admin_client.post("/smssend", data=valid_send())
    assert page(admin_client.get("/dashboard")).select_one("#remaining")["data-remaining"] == (
        "1233")


def test_low_credit_warning_under_the_threshold(admin_client, backend):
    backend.accounts["demo"].credits = 99  # the default threshold is 100
    warning = page(admin_client.get("/dashboard", query_string=EN)).select_one("#low-credit")
    assert warning is not None and "under 100" in warning.get_text()
    backend.accounts["demo"].credits = 100
    assert page(admin_client.get("/dashboard")).select_one("#low-credit") is None


def test_low_credit_threshold_is_a_setting(backend):
    client = sign_in(build_app(backend, SMSFORM_LOW_CREDIT="5000"))
    assert page(client.get("/dashboard")).select_one("#low-credit") is not None
    quiet = sign_in(build_app(backend, SMSFORM_LOW_CREDIT="0"))
    backend.accounts["demo"].credits = 0
    assert page(quiet.get("/dashboard")).select_one("#low-credit") is None


@pytest.mark.parametrize("value", ["lots", "-1", "1.5"])
def test_a_bad_low_credit_threshold_is_named(backend, value):
    with pytest.raises(SettingsError, match="SMSFORM_LOW_CREDIT"):
        build_app(backend, SMSFORM_LOW_CREDIT=value)


def test_a_gateway_failure_is_shown_beside_the_credit_and_the_rest_works(
        app, admin_client, wrong_key_account):
    log_send(app, utcnow() - timedelta(minutes=1), "refused", code="-102")
    response = admin_client.get("/dashboard")
    assert response.status_code == 200
    soup = page(response)
    error = soup.select_one("#credit #credit-error")
    assert codes.describe_remain("-102").ko in error.get_text()
    assert soup.select_one("#remaining") is None
    assert soup.select_one("#count-refused td").get_text() == "1"
    assert soup.select_one("svg#chart") is not None


def test_an_unreachable_gateway_is_shown_beside_the_credit(unreachable_gateway_client):
    response = unreachable_gateway_client.get("/dashboard", query_string=EN)
    assert response.status_code == 200
    words = page(response).select_one("#credit-error").get_text()
    # One sentence of what happened, then what to do: never a sentence inside another.
    assert words == ("The gateway did not say how much credit is left (no connection could be "
                     "made). Try again in a moment.")


# -- who lands where, who sees which link -------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "sender", "viewer"])
def test_every_role_lands_on_the_dashboard_after_sign_in(app, client, role):
    make_user(app, "kim", "a-long-enough-password", role)
    response = client.post("/login", data={"username": "kim",
                                           "password": "a-long-enough-password"})
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert client.get("/").headers["Location"] == "/dashboard"


EVERYONE = {"nav-dashboard-index", "nav-sends-index", "nav-lookup-smsresult",
            "nav-lookup-smscount", "nav-auth-account", "nav-account-tokens",
            "nav-templates-index", "nav-contacts-index", "nav-optouts-index",
            "nav-bulk-index"}
NAV = {
    "admin": EVERYONE | {"nav-send-smsform", "nav-admin-users", "nav-admin-audit_trail",
                         "nav-relay_sites-index", "nav-dashboard-gateway"},
    "sender": EVERYONE | {"nav-send-smsform"},
    "viewer": EVERYONE,
}


@pytest.mark.parametrize("role", ["admin", "sender", "viewer"])
def test_navigation_shows_only_links_the_role_may_follow(app, role):
    client = sign_in(app, role)
    soup = page(client.get("/dashboard"))
    links = {a["id"]: a["href"] for a in soup.select("nav#nav a")}
    assert set(links) == NAV[role]
    for href in links.values():
        assert client.get(href).status_code == 200, href
    assert soup.select_one("nav#nav a[aria-current=page]")["id"] == "nav-dashboard-index"


def test_the_viewer_is_never_led_to_the_send_form(viewer_client):
    soup = page(viewer_client.get("/dashboard"))
    assert soup.select('a[href="/smsform"]') == []
    assert soup.select_one("a.brand")["href"] == "/dashboard"


def test_anonymous_visitors_sign_in_first(app, client):
    make_user(app, "kim", "a-long-enough-password", "viewer")
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/dashboard")
    assert client.get("/dashboard", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/").headers["Location"] == "/dashboard"


def test_the_dashboard_counts_on_postgresql_too(db_url, backend):
    """The day buckets are plain SQL: the same numbers on SQLite and PostgreSQL."""
    from tests.test_concurrency import migrated_app

    app = migrated_app(db_url, SIMULATOR_BACKEND=backend)
    log_send(app, TODAY_STARTS, recipients=2)
    log_send(app, TODAY_STARTS - SECOND, recipients=3)
    log_send(app, NOW - timedelta(hours=1), "pending")
    result = summary(app)
    assert (result.counts["today"]["success"], result.counts["week"]["success"]) == (1, 2)
    assert result.counts["today"]["unknown"] == 1
    assert [d.messages for d in result.days[-2:]] == [3, 2]
