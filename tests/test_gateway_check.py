"""The gateway check (/gateway): three timed look-ups, never a send, each failure explained,
the base URL and the simulator shown, the key never."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote, quote_plus

import pytest

from simulator import DEMO_SECURE_KEY, demo_backend
from simulator.server import SimulatorServer
from tests.support import UNREACHABLE_KEY, build_app, page, send_calls, sign_in, valid_send

EN = {"lang": "en"}
JSON = {"Accept": "application/json"}


def check(soup, name: str):
    """The section of one look-up."""
    section = soup.select_one(f"section#check-{name}")
    assert section is not None, name
    return section


def explanation(soup, name: str) -> str:
    """A look-up's explanation as text ('' when it has none)."""
    found = check(soup, name).select_one(".explanation")
    return found.get_text(" ", strip=True) if found is not None else ""


def kinds(soup) -> dict[str, str]:
    return {n: check(soup, n)["data-kind"] for n in ("remaining", "senders", "results")}


def key_forms(key: str) -> set[str]:
    """The key as it is, in Base64 and URL-quoted: none may reach a page."""
    b64 = base64.b64encode(key.encode()).decode()
    return {key, b64, b64.rstrip("="), quote(b64, safe=""), quote_plus(key)}


def test_a_healthy_gateway_passes_each_look_up_with_its_time(admin_client, backend):
    response = admin_client.get("/gateway", query_string=EN)
    assert response.status_code == 200
    soup = page(response)
    assert kinds(soup) == {"remaining": "ok", "senders": "ok", "results": "ok"}
    assert "Every look-up answered" in soup.select_one("#check-verdict").get_text()
    for name in ("remaining", "senders", "results"):
        ms = check(soup, name).select_one(".ms").get_text()
        assert ms.endswith(" ms") and ms[:-3].replace(",", "").isdigit()
    assert "1,000 credits left" in check(soup, "remaining").get_text()
    assert "02-123-4567" in check(soup, "senders").get_text()
    assert soup.select_one("#base-url").get_text(strip=True) == "https://simulator.invalid"
    assert soup.select_one("#simulator-in-use")["data-simulated"] == "1"
    assert [c.path for c in backend.calls] == ["/sms_remain.php", "/smsSenderPhone.php",
                                               "/sms_list.php", "/sms_list.php"]  # SMS, LMS
    assert send_calls(backend) == []  # never a send


def test_today_counts_sms_and_lms(admin_client, backend):
    for text in ("short", "긴 메시지 " * 20):  # one SMS, one LMS (over 90 bytes)
        assert admin_client.post("/smssend", data=valid_send(msg=text)).status_code == 200
    soup = page(admin_client.get("/gateway", query_string=EN))
    assert sorted(m.kind for m in backend.messages) == ["L", "S"]
    assert "2 messages today" in check(soup, "results").get_text()


def test_the_check_asks_for_senders_now_not_from_the_forms_cache(admin_client, backend):
    admin_client.get("/smsform")  # fills the form's one-minute cache
    backend.accounts["demo"].senders = []
    soup = page(admin_client.get("/gateway"))
    assert check(soup, "senders")["data-kind"] == "no_senders"


def test_wrong_key_explains_102_with_each_cause(admin_client, wrong_key_account):
    soup = page(admin_client.get("/gateway", query_string=EN))
    assert kinds(soup) == {"remaining": "auth", "senders": "refused", "results": "auth"}
    text = explanation(soup, "remaining")
    assert "-102" in text
    causes = [li.get_text(" ", strip=True) for li in check(soup, "remaining").select(
        ".causes li")]
    assert len(causes) == 3
    assert "CAFE24_SMS_USER_ID" in causes[0] and "CAFE24_SMS_SECURE_KEY" in causes[0]
    assert "reissued" in causes[1]
    assert "may not use the API" in causes[2]
    assert "fix the id and key first" in explanation(soup, "senders")
    assert "Something needs attention" in soup.select_one("#check-verdict").get_text()


def test_the_explanations_are_korean_by_default(admin_client, wrong_key_account):
    soup = page(admin_client.get("/gateway"))
    assert soup.select_one("html")["lang"] == "ko"
    assert len(check(soup, "results").select(".causes li")) == 3


def test_no_sender_says_where_to_register_one(admin_client, no_sms_senders):
    soup = page(admin_client.get("/gateway", query_string=EN))
    assert kinds(soup) == {"remaining": "ok", "senders": "no_senders", "results": "ok"}
    text = explanation(soup, "senders")
    assert "-114" in text
    assert "Sender numbers" in text and "registered in advance" in text
    assert "Something needs attention" in soup.select_one("#check-verdict").get_text()


def test_refused_connection_is_an_outage_not_the_settings(unreachable_gateway_client,
                                                           closed_port):
    soup = page(unreachable_gateway_client.get("/gateway", query_string=EN))
    # Out of reach: the other look-ups are not asked (each would wait as long).
    assert kinds(soup) == {"remaining": "connect", "senders": "skipped", "results": "skipped"}
    assert "Not asked" in check(soup, "senders").get_text()
    text = explanation(soup, "remaining")
    assert "Could not connect" in text and "not the SMS id or key" in text
    assert "CAFE24_SMS_BASE_URL is set to" in text  # not the usual address: check it
    base_url = f"http://127.0.0.1:{closed_port}"
    assert soup.select_one("#base-url").get_text(strip=True) == base_url
    assert soup.select_one("#simulator-in-use")["data-simulated"] == "0"
    assert not any(form in str(soup) for form in key_forms(UNREACHABLE_KEY))


@pytest.mark.parametrize(("fault", "kind", "words"), [
    ("stall", "read_timeout", "gave no answer within"),
    ("http500", "http_status", "answered HTTP 500, a server error"),
    ("garbage", "unreadable", "not in the gateway's format"),
    ("html", "unreadable", "not in the gateway's format"),
    ("drop", "dropped", "broke before an answer came"),
])
def test_each_transport_failure_is_worded(admin_client, backend, fault, kind, words):
    backend.inject(fault)  # the first look-up (the credit) meets it; the others pass
    soup = page(admin_client.get("/gateway", query_string=EN))
    after = "skipped" if kind == "read_timeout" else "ok"  # out of reach: not asked again
    assert kinds(soup) == {"remaining": kind, "senders": after, "results": after}
    text = explanation(soup, "remaining")
    assert words in text
    assert "not the settings" in text or "not the SMS id or key" in text


def test_a_read_timeout_over_a_socket_is_timed(backend):
    slow = demo_backend(stall_seconds=1.0)
    server = SimulatorServer(slow).start()
    try:
        client = sign_in(build_app(
            backend, CAFE24_SMS_BASE_URL=server.url, CAFE24_SMS_USER_ID="demo",
            CAFE24_SMS_SECURE_KEY=DEMO_SECURE_KEY, CAFE24_SMS_READ_TIMEOUT="0.3"))
        slow.inject("stall")
        soup = page(client.get("/gateway", query_string=EN))
    finally:
        server.stop()
    assert kinds(soup) == {"remaining": "read_timeout", "senders": "skipped",
                           "results": "skipped"}
    assert "within 0.3 seconds" in explanation(soup, "remaining")
    ms = int(check(soup, "remaining").select_one(".ms").get_text()[:-3].replace(",", ""))
    assert ms >= 300


def test_a_silent_gateway_costs_one_look_up_timeout_not_three_send_timeouts(monkeypatch):
    from smsform.services import gateway as gateway_service
    from tests.test_page_lookups import SilentGateway

    monkeypatch.setattr(gateway_service, "LOOKUP_READ_TIMEOUT", 0.4)
    silent = SilentGateway()
    try:
        client = sign_in(build_app(
            None, CAFE24_SMS_BASE_URL=silent.url, CAFE24_SMS_USER_ID="shop",
            CAFE24_SMS_SECURE_KEY=UNREACHABLE_KEY, CAFE24_SMS_READ_TIMEOUT="30"))
        soup = page(client.get("/gateway"))  # Korean by default
    finally:
        silent.close()
    assert kinds(soup) == {"remaining": "read_timeout", "senders": "skipped",
                           "results": "skipped"}
    assert silent.requests == 1
    assert "0.4" in explanation(soup, "remaining")  # the look-up's own limit, as it ran
    assert "묻지 않았습니다" in explanation(soup, "senders")


def test_an_http_4xx_points_at_the_address(backend):
    server = SimulatorServer(demo_backend()).start()
    try:
        client = sign_in(build_app(
            backend, CAFE24_SMS_BASE_URL=server.url + "/wrong", CAFE24_SMS_USER_ID="demo",
            CAFE24_SMS_SECURE_KEY=DEMO_SECURE_KEY))
        soup = page(client.get("/gateway", query_string=EN))
    finally:
        server.stop()
    assert set(kinds(soup).values()) == {"http_status"}
    assert "answered HTTP 404" in explanation(soup, "remaining")
    assert "CAFE24_SMS_BASE_URL" in explanation(soup, "remaining")


def test_an_echoing_gateway_never_shows_the_key(admin_client, backend, caplog):
    backend.inject("echo", "echo", "echo")
    caplog.set_level(logging.WARNING, logger="smsform.gateway")
    response = admin_client.get("/gateway", query_string=EN)
    html = response.get_data(as_text=True)
    backend.inject("echo", "echo", "echo")
    body = admin_client.get("/gateway", headers=JSON)
    assert set(kinds(page(response)).values()) == {"unreadable"}
    assert body.status_code == 200
    shown = html + body.get_data(as_text=True)
    for form in key_forms(DEMO_SECURE_KEY):
        assert form not in shown, form
        assert form not in caplog.text, form
    assert "user_id=" not in html and "passwd" not in html  # no body reaches the page
    assert "[key removed]" in caplog.text  # the admin's log keeps a redacted excerpt


def test_json_callers_get_the_check_as_data(admin_client, no_sms_senders):
    data = admin_client.get("/gateway", headers=JSON).get_json()
    assert data["passed"] is False
    assert data["simulated"] is True
    assert [(c["name"], c["kind"]) for c in data["checks"]] == [
        ("remaining", "ok"), ("senders", "no_senders"), ("results", "ok")]
    assert all(isinstance(c["ms"], int) for c in data["checks"])


@pytest.mark.parametrize("role", ["sender", "viewer"])
def test_only_admins_may_check_the_gateway(app, backend, role):
    client = sign_in(app, role)
    assert client.get("/gateway").status_code == 403
    assert client.get("/gateway", headers=JSON).status_code == 403
    assert backend.calls == []


def test_anonymous_visitors_are_sent_to_sign_in(app, client, backend):
    sign_in(app, "admin")  # an account exists, so not to set-up
    response = client.get("/gateway")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/gateway")
    assert client.get("/gateway", headers=JSON).status_code == 401
    assert backend.calls == []
