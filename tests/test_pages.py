"""What a new user meets on the pages: words instead of codes, one error per problem, an icon."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cafe24.schedule import KST
from tests.support import build_app, field_errors, page, valid_send


@pytest.mark.parametrize(("overrides", "code", "english"), [
    ({}, "success", "Accepted"),
    ({"testflag": "Y"}, "test", "Test only"),
])
def test_the_result_page_names_the_outcome_not_its_code(admin_client, overrides, code, english):
    response = admin_client.post("/smssend", data=valid_send(**overrides))
    shown = page(response).select_one("#result-code")
    assert shown["data-code"] == code
    assert shown.get_text(strip=True) != code
    assert english in page(admin_client.post(
        "/smssend?lang=en", data=valid_send(**overrides))).select_one("#result-code").get_text()


def test_a_reservation_is_named_in_words(admin_client):
    later = datetime.now(KST) + timedelta(days=1)
    response = admin_client.post("/smssend?lang=en", data=valid_send(
        rdate=later.strftime("%Y-%m-%d"), rtime=later.strftime("%H:%M")))
    shown = page(response).select_one("#result-code")
    assert (shown["data-code"], shown.get_text(strip=True)) == ("reserved", "Reserved")


def test_a_refusal_shows_its_number_with_words(scripted_client, scripted_backend):
    scripted_backend.answer = "-114,1000"
    response = scripted_client.post("/smssend?lang=en", data=valid_send())
    shown = page(response).select_one("#result-code")
    assert shown["data-code"] == "-114"
    assert shown.get_text(strip=True) == "Refused (code -114)"


def test_a_reservation_too_soon_is_said_once_beside_the_time(admin_client, backend):
    soon = datetime.now(KST) + timedelta(minutes=3)
    response = admin_client.post("/smssend", data=valid_send(
        rdate=soon.strftime("%Y-%m-%d"), rtime=soon.strftime("%H:%M")))
    assert response.status_code == 400
    soup = page(response)
    beside = field_errors(soup, "rtime") + field_errors(soup, "rdate")
    assert len(beside) == 1 and "10" in beside[0]
    summary = [li.get_text(strip=True) for li in soup.select("#error-summary li")]
    assert len(summary) == 1  # and listed once in the summary, as a link to the field
    assert backend.calls == [c for c in backend.calls if c.path != "/sms_sender.php"]


def test_the_setup_pages_password_length_error_is_korean(client):
    response = client.post("/setup", data={"username": "boss", "password": "short",
                                           "password2": "short"})
    assert response.status_code == 400
    assert field_errors(page(response), "password") == ["비밀번호는 10자 이상이어야 합니다."]
    english = client.post("/setup?lang=en", data={"username": "boss", "password": "short",
                                                  "password2": "short"})
    assert field_errors(page(english), "password") == [
        "The password must be at least 10 characters."]


def test_every_page_links_the_icon_and_favicon_ico_answers_it(client):
    soup = page(client.get("/setup"))
    assert soup.select_one("link[rel=icon]")["href"] == "/static/favicon.svg"
    response = client.get("/favicon.ico", follow_redirects=True)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


def test_a_server_error_is_said_in_korean_first_and_in_english(backend):
    app = build_app(backend, PROPAGATE_EXCEPTIONS=False)

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", view_func=broken)
    web = app.test_client()
    korean = web.get("/broken")
    assert korean.status_code == 500
    assert "발송 기록을 확인하세요" in korean.get_data(as_text=True)
    english = web.get("/broken?lang=en", headers={"Accept": "application/json"})
    assert english.status_code == 500
    assert "check the send log" in english.get_json()["message"]
