"""Korean by default, English on request (``?lang=en``, remembered in a cookie)."""

from __future__ import annotations

import pytest

from cafe24 import codes
from tests.fixtures import *  # noqa: F403 - fixtures
from tests.fixtures import field_errors, page, valid_send

JSON = {"Accept": "application/json"}


def _h1(response) -> str:
    return page(response).select_one("main h1").get_text(strip=True)


def test_korean_is_the_default(admin_client):
    response = admin_client.get("/smsform")
    soup = page(response)
    assert soup.html["lang"] == "ko"
    assert _h1(response) == "문자 보내기"
    assert soup.select_one("header .tools a[hreflang=en]")["href"] == "/smsform?lang=en"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_lang_en_switches_the_text_and_sets_a_cookie(admin_client):
    response = admin_client.get("/smsform?lang=en")
    soup = page(response)
    assert soup.html["lang"] == "en"
    assert _h1(response) == "Send a message"
    assert soup.select_one("label[for=rphone]").get_text(strip=True) == "Recipient numbers"
    assert soup.select_one("header .tools a[hreflang=ko]")["href"] == "/smsform?lang=ko"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;")
    assert "SameSite=Lax" in cookie


def test_the_cookie_keeps_english_until_korean_is_chosen(admin_client):
    admin_client.get("/smsform?lang=en")
    assert _h1(admin_client.get("/smscount")) == "Remaining credit"
    back = admin_client.get("/smscount?lang=ko")
    assert _h1(back) == "잔여 건수"
    assert back.headers["Set-Cookie"].startswith("lang=ko;")
    assert _h1(admin_client.get("/smscount")) == "잔여 건수"


@pytest.mark.parametrize("asked", ["fr", "EN", "", "en;drop"])
def test_unknown_languages_fall_back_to_korean(admin_client, asked):
    response = admin_client.get("/smsform", query_string={"lang": asked})
    assert page(response).html["lang"] == "ko"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_english_pages_before_sign_in(app, client):
    response = client.get("/setup?lang=en")
    assert _h1(response) == "Create the administrator"


def test_english_validation_messages(admin_client):
    response = admin_client.post("/smssend?lang=en", data=valid_send(msg=""))
    soup = page(response)
    assert field_errors(soup, "msg") == ["Please enter a message"]
    assert soup.select_one("#error-summary h2").get_text(strip=True) == (
        "Not sent. Please fix the items below.")
    assert soup.select_one('#error-summary a[href="#msg"]').get_text(strip=True) == (
        "Message: Please enter a message")


def test_english_send_result(admin_client, no_credit_account):
    response = admin_client.post("/smssend?lang=en", data=valid_send())
    card = page(response).select_one("#send-result")
    assert card.select_one("h1").get_text(strip=True) == "The gateway refused the send"
    assert card.select_one("#result-message").get_text(strip=True) == (
        codes.describe_send("-201").text("en"))


def test_english_json_answers(admin_client, backend):
    backend.inject("drop")
    body = admin_client.post("/smssend?lang=en", headers=JSON, data=valid_send()).get_json()
    assert body["message"].startswith("Unknown whether the message was sent")
    invalid = admin_client.post("/smssend?lang=en", headers=JSON,
                                data=valid_send(msg="")).get_json()
    assert invalid["message"] == "Check your input: Please enter a message"


def test_english_results(admin_client, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333,010-3333-0000"))
    items = admin_client.get("/smsresult?lang=en", headers=JSON).get_json()["items"]
    assert sorted(i["statusText"] for i in items) == ["delivered", "failed"]
    assert {i["sendTypeText"] for i in items} == {"immediate"}
    failed = next(i for i in items if i["sendStatus"] == "9")
    assert failed["resultText"] == codes.describe_delivery("3208").text("en")


def test_english_credit_page(admin_client):
    soup = page(admin_client.get("/smscount?lang=en"))
    assert soup.select_one("#remaining").get_text(strip=True) == "1,000 credits"


def test_the_language_link_keeps_the_filters_of_a_results_page(admin_client):
    soup = page(admin_client.get("/smsresult?sendType=reserve&day=3"))
    href = soup.select_one("header .tools a[hreflang=en]")["href"]
    assert href.startswith("/smsresult?")
    assert {"sendType=reserve", "day=3", "lang=en"} <= set(href.split("?", 1)[1].split("&"))


def test_the_language_link_of_a_send_result_leads_to_the_form_not_a_405(admin_client):
    soup = page(admin_client.post("/smssend", data=valid_send()))
    href = soup.select_one("header .tools a[hreflang=en]")["href"]
    assert href == "/smsform?lang=en"
    assert admin_client.get(href).status_code == 200
