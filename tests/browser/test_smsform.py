"""The send form in a real browser: the meter, LMS switch, cost, senders, names and sending."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from cafe24 import message
from cafe24.phone import parse_destination, parse_recipients
from cafe24.schedule import KST, RESERVATION_LEAD
from simulator import DEMO_CREDITS, DEMO_SENDERS, DEMO_USER_ID, GatewayBackend
from smsform.models import utcnow
from smsform.services import gateway
from smsform.views.form_config import rules

CASES = json.loads(
    (Path(__file__).parent.parent / "cases" / "message_cases.json").read_text(encoding="utf-8"))
THREE_RECIPIENTS = "010-1111-2222, 010-3333-4444\n010-5555-6666"
LONG_TEXT = "가" * 45 + "a"  # 91 bytes


def _number(n: int) -> str:
    """A regex for n as the meter may print it: 2000 or 2,000."""
    return f"{n // 1000},?{n % 1000:03d}" if n >= 1000 else str(n)


def meter_text(nbytes: int, kind: str, lang: str = "ko") -> re.Pattern[str]:
    """The meter's visible text: "{bytes} / {limit}바이트" (en "... bytes")."""
    limit = message.SMS_LIMIT if kind == "S" else message.LMS_LIMIT
    unit = " bytes" if lang == "en" else "바이트"
    return re.compile(rf"^\s*{_number(nbytes)} / {_number(limit)}{unit}\s*$")


def _visible(ch: str) -> bool:
    """Whether a character shows as itself inside <mark> (not a space, mark or control)."""
    return unicodedata.category(ch)[0] not in "ZMC"


def send_calls(backend: GatewayBackend) -> list[dict[str, str]]:
    """The decoded fields of every sms_sender.php request the simulator received."""
    return [c.fields for c in backend.calls if c.path == "/sms_sender.php"]


def fill_form(page: Page, *, msg: str, rphone: str = "010-2222-3333",
              sender: str = DEMO_SENDERS[0]) -> None:
    """Choose a sender and type recipients and a message, as a person would."""
    page.select_option("#sphone", sender)
    page.fill("#rphone", rphone)
    page.fill("#msg", msg)


def submit(page: Page) -> None:
    """Press the send button and wait for the answer page."""
    with page.expect_navigation():
        page.click("#send-button")


# --- the byte meter ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_meter_matches_the_shared_cases(shared_form_page: Page, case: dict) -> None:
    page = shared_form_page
    page.fill("#msg", case["text"])
    meter = page.locator("#meter")
    expect(meter).to_have_attribute("data-bytes", str(case["bytes"]))
    expect(meter).to_have_attribute("data-kind", case["kind"])
    expect(meter).to_have_text(meter_text(case["bytes"], case["kind"]))
    marks = page.locator("#unsupported mark")
    expect(marks).to_have_count(len(case["unsupported"]))
    for i, ch in enumerate(case["unsupported"]):
        if _visible(ch):
            expect(marks.nth(i)).to_contain_text(ch)


def test_meter_counts_typed_hangul_as_two_bytes(signed_in_page: Page) -> None:
    page = signed_in_page
    page.click("#msg")
    page.keyboard.type("Hi 안녕")
    meter = page.locator("#meter")
    expect(meter).to_have_attribute("data-bytes", "7")
    expect(meter).to_have_text(meter_text(7, "S"))
    page.keyboard.press("Backspace")
    expect(meter).to_have_attribute("data-bytes", "5")


def test_lms_switches_on_at_91_bytes_and_off_at_90(signed_in_page: Page) -> None:
    page = signed_in_page
    meter, sms_type = page.locator("#meter"), page.locator("#smsType")
    page.fill("#msg", "a" * 90)
    expect(meter).to_have_attribute("data-kind", "S")
    expect(sms_type).not_to_be_checked()
    expect(page.locator("#subject-row")).to_be_hidden()

    page.keyboard.type("a")
    expect(meter).to_have_attribute("data-kind", "L")
    expect(meter).to_have_text(meter_text(91, "L"))
    expect(sms_type).to_be_checked()
    expect(sms_type).to_have_attribute("data-auto", "1")
    expect(page.locator("#kind-notice")).not_to_be_empty()
    expect(page.locator("#subject-row")).to_be_visible()

    page.keyboard.press("Backspace")
    expect(meter).to_have_attribute("data-kind", "S")
    expect(meter).to_have_text(meter_text(90, "S"))
    expect(sms_type).not_to_be_checked()
    expect(page.locator("#subject-row")).to_be_hidden()


def test_lms_chosen_by_hand_stays_on_for_a_short_message(signed_in_page: Page) -> None:
    page = signed_in_page
    page.check("#smsType")
    expect(page.locator("#subject-row")).to_be_visible()
    page.fill("#msg", LONG_TEXT)
    page.fill("#msg", "짧은 글")
    expect(page.locator("#smsType")).to_be_checked()
    expect(page.locator("#meter")).to_have_attribute("data-kind", "L")
    expect(page.locator("#meter")).to_have_text(meter_text(7, "L"))


# --- cost, unsupported characters, recipients ------------------------------------


def test_cost_line_for_three_recipients(signed_in_page: Page) -> None:
    page = signed_in_page
    cost = page.locator("#cost")
    page.fill("#rphone", THREE_RECIPIENTS)
    page.fill("#msg", "안녕하세요")
    expect(cost).to_have_text("수신자 3명 × SMS 1건 = 3건 차감")
    expect(cost).to_have_attribute("data-cost", "3")

    page.fill("#msg", LONG_TEXT)
    expect(cost).to_have_text("수신자 3명 × LMS 3건 = 9건 차감")
    expect(cost).to_have_attribute("data-cost", "9")

    page.check("#testflag")
    expect(cost).to_have_text("테스트 발송: 차감 없음")
    expect(cost).to_have_attribute("data-cost", "0")


def test_the_form_warns_while_the_cost_is_over_the_credit_known(app, signed_in_page: Page,
                                                               backend: GatewayBackend) -> None:
    """Live, like the meter: the credit last known comes in the rules object; a test send
    costs nothing, so it is never over it. Sent anyway, the server refuses it the same way."""
    backend.accounts[DEMO_USER_ID].credits = 2
    app.extensions[gateway.EXTENSION].last_credit = (utcnow(), 2)
    page = signed_in_page
    page.reload()
    warning = page.locator("#credit-warning")
    page.fill("#msg", "안녕하세요")
    page.fill("#rphone", "010-1111-2222, 010-3333-4444")
    expect(page.locator("#cost")).to_have_attribute("data-cost", "2")
    expect(warning).to_be_hidden()
    page.fill("#rphone", THREE_RECIPIENTS)
    expect(warning).to_have_text("잔여 건수가 부족합니다: 이 발송에는 3건이 필요한데 남은 건수는 "
                                 "2건입니다(1건 부족). 먼저 충전하지 않으면 보내지지 않습니다.")
    page.check("#testflag")
    expect(warning).to_be_hidden()
    page.uncheck("#testflag")
    expect(warning).to_be_visible()
    page.select_option("#sphone", DEMO_SENDERS[0])
    submit(page)
    expect(page.locator("#result-message")).to_contain_text("1건 부족")
    expect(page.locator("#rphone")).to_have_value(THREE_RECIPIENTS)  # kept as typed
    assert send_calls(backend) == []


def test_cost_line_in_english_uses_plural_forms(signed_in_page: Page) -> None:
    page = signed_in_page
    page.goto("/smsform?lang=en")
    cost = page.locator("#cost")
    page.fill("#rphone", "010-1111-2222")
    page.fill("#msg", "Hello")
    expect(cost).to_have_text("1 recipient × SMS 1 credit = 1 credit")
    page.fill("#rphone", THREE_RECIPIENTS)
    page.fill("#msg", LONG_TEXT)
    expect(cost).to_have_text("3 recipients × LMS 3 credits = 9 credits")


def test_repeats_multiply_the_cost(signed_in_page: Page) -> None:
    page = signed_in_page
    cost = page.locator("#cost")
    page.fill("#rphone", THREE_RECIPIENTS)
    page.fill("#msg", "안녕하세요")
    expect(page.locator("#repeatNum")).to_be_disabled()
    page.check("#repeatFlag")
    page.select_option("#repeatNum", "2")
    expect(cost).to_have_text("수신자 3명 × SMS 1건 × 2회 = 6건 차감")
    expect(cost).to_have_attribute("data-cost", "6")


def test_the_script_takes_its_limits_from_the_config_block(signed_in_page: Page) -> None:
    """No limit is written in the JavaScript: a smaller SMS limit in the block moves the switch."""
    page = signed_in_page
    block = json.loads(page.locator("#smsform-config").text_content() or "")
    assert block["rules"] == rules()
    assert block["urls"] == {"senders": "/calljson", "templates": "/templates.json",
                             "groups": "/contacts/groups.json"}

    def smaller_sms(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        assert '"smsLimit": 90' in body
        route.fulfill(response=response, body=body.replace('"smsLimit": 90', '"smsLimit": 5'))

    page.route("**/smsform", smaller_sms)
    page.reload()
    page.fill("#msg", "abcde")
    meter = page.locator("#meter")
    expect(meter).to_have_attribute("data-kind", "S")
    expect(meter).to_have_text(re.compile(r"^\s*5 / 5바이트\s*$"))
    page.keyboard.type("f")
    expect(meter).to_have_attribute("data-kind", "L")
    expect(page.locator("#smsType")).to_be_checked()
    expect(page.locator("#kind-notice")).to_contain_text("5바이트를 넘어")


def test_unsupported_characters_are_marked(signed_in_page: Page) -> None:
    page = signed_in_page
    page.fill("#msg", "안녕😀 똠방각하")
    expect(page.locator("#unsupported mark")).to_have_text(["😀", "똠"])
    expect(page.locator("#msg")).to_have_class(re.compile(r"\bhas-unsupported\b"))

    page.fill("#msg", "안녕 방각하")
    expect(page.locator("#unsupported mark")).to_have_count(0)
    expect(page.locator("#msg")).not_to_have_class(re.compile(r"\bhas-unsupported\b"))


def test_control_characters_are_named_before_the_server_refuses_them(
        signed_in_page: Page) -> None:
    page = signed_in_page
    page.fill("#msg", "안녕\x07하세요\t탭\n줄")  # a bell pasted from elsewhere
    expect(page.locator("#unsupported .control-chars")).to_have_text(
        "휴대폰에 표시되지 않는 제어 문자를 지우세요: U+0007")
    expect(page.locator("#msg")).to_have_class(re.compile(r"\bhas-unsupported\b"))
    page.fill("#msg", "안녕하세요\t탭\n줄")  # tabs and line breaks are text
    expect(page.locator("#unsupported .control-chars")).to_have_count(0)
    page.click("#names summary")
    page.fill("#destination", "010-1234-5678|홍\x1b길동")
    expect(page.locator("#merge-preview .name-chars")).to_contain_text("U+001B")


def test_recipient_status_counts_duplicates_and_invalid_numbers(signed_in_page: Page) -> None:
    typed = "010-1234-5678, 01012345678, 010-9999, 02-123-4567"
    parsed = parse_recipients(typed)
    assert (len(parsed.recipients), len(parsed.duplicates), len(parsed.invalid)) == (2, 1, 1)
    page = signed_in_page
    page.fill("#rphone", typed)
    status = page.locator("#rphone-status")
    expect(status).to_have_attribute("data-count", "2")
    expect(status).to_have_attribute("data-duplicates", "1")
    expect(status).to_have_attribute("data-invalid", "1")


# --- sender numbers and {name} ----------------------------------------------------


def test_sender_select_fills_from_calljson(signed_in_page: Page) -> None:
    page = signed_in_page
    page.goto("about:blank")  # so the only /calljson answer is the one for the next load
    with page.expect_response(lambda r: "/calljson" in r.url) as answer:
        page.goto("/smsform")
    assert answer.value.json() == {"result": "Success", "list": list(DEMO_SENDERS)}
    sphone = page.locator("#sphone")
    expect(sphone).to_have_attribute("data-loaded", "1")
    values = sphone.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    assert values == list(DEMO_SENDERS)

    page.select_option("#sphone", "02-123-4567")
    parts = [page.locator(f"input[name=sphone{i}]") for i in (1, 2, 3)]
    for part, value in zip(parts, ("02", "123", "4567"), strict=True):
        expect(part).to_have_value(value)
    page.select_option("#sphone", "1588-1234")
    for part, value in zip(parts, ("1588", "1234", ""), strict=True):
        expect(part).to_have_value(value)


def test_insert_name_and_merge_preview(signed_in_page: Page) -> None:
    page = signed_in_page
    names = "010-1234-5678|홍길동\n010-2222-3333|남궁민수"
    page.click("#names summary")
    page.fill("#destination", names)
    page.fill("#msg", "안녕하세요 ")
    page.click("#insert-name")
    expect(page.locator("#msg")).to_have_value("안녕하세요 {name}")

    recipients = parse_destination(names).recipients
    longest = message.longest_merged("안녕하세요 {name}", recipients)
    preview = page.locator("#merge-preview")
    expect(preview).to_have_attribute("data-longest", str(longest.length))
    expect(preview).to_contain_text("남궁민수")


def test_names_that_cannot_be_sent_are_marked(signed_in_page: Page) -> None:
    page = signed_in_page
    page.click("#names summary")
    names = "010-1234-5678|남궁민수님께\n010-2222-3333|똠😀\n010-4444-5555|됬"
    bad = message.name_chars(parse_destination(names).recipients)
    assert bad == (["똠", "😀"], ["됬"])
    page.fill("#destination", names)
    page.fill("#msg", "안녕하세요")  # no {name}: the names are sent all the same
    expect(page.locator("#merge-preview .name-chars mark")).to_have_text(["똠", "😀", "됬"])
    expect(page.locator("#unsupported mark")).to_have_count(0)  # the message itself is fine
    page.fill("#destination", "010-1234-5678|" + unicodedata.normalize("NFD", "홍길동"))
    expect(page.locator("#merge-preview .name-chars")).to_have_count(0)


def test_reservation_too_far_is_warned(signed_in_page: Page) -> None:
    page = signed_in_page
    page.fill("#rdate", "2999-01-01")
    page.fill("#rtime", "09:00")
    warning = page.locator("#reserve-warning")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("data-problem", "too-far")
    expect(warning).to_contain_text("365")


def test_reservation_too_soon_is_warned(signed_in_page: Page) -> None:
    page = signed_in_page
    soon = datetime.now(KST) + timedelta(minutes=2)
    page.fill("#rdate", soon.strftime("%Y-%m-%d"))
    page.fill("#rtime", soon.strftime("%H:%M"))
    warning = page.locator("#reserve-warning")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("data-problem", "too-soon")
    expect(warning).to_contain_text(str(RESERVATION_LEAD // timedelta(minutes=1)))
    later = datetime.now(KST) + RESERVATION_LEAD + timedelta(minutes=30)
    page.fill("#rdate", later.strftime("%Y-%m-%d"))
    page.fill("#rtime", later.strftime("%H:%M"))
    expect(warning).to_be_hidden()


# --- sending ------------------------------------------------------------------------


def test_test_send_charges_nothing(signed_in_page: Page, backend: GatewayBackend) -> None:
    page = signed_in_page
    fill_form(page, msg="테스트 문자입니다")
    page.check("#testflag")
    # Runs after the form's own submit handler, and survives the navigation.
    page.evaluate("""() => document.smsForm.addEventListener("submit", () => sessionStorage
        .setItem("disabledOnSubmit", document.getElementById("send-button").disabled))""")
    with page.expect_navigation():
        page.dblclick("#send-button")

    assert page.evaluate("sessionStorage.getItem('disabledOnSubmit')") == "true"
    expect(page.locator("#send-result")).to_have_attribute("data-result", "test")
    expect(page.locator("#result-remaining")).to_have_text(f"{DEMO_CREDITS:,}")
    (fields,) = send_calls(backend)
    assert fields["testflag"] == "Y"
    assert backend.accounts[DEMO_USER_ID].credits == DEMO_CREDITS
    assert backend.messages == []


def test_real_send_shows_success_and_remaining_credit(signed_in_page: Page,
                                                      backend: GatewayBackend) -> None:
    page = signed_in_page
    fill_form(page, msg="내일 오전 10시 회의입니다", rphone="010-2222-3333, 010-4444-5555",
              sender="02-123-4567")
    submit(page)
    result = page.locator("#send-result")
    expect(result).to_have_attribute("data-result", "success")
    expect(page.locator("#result-message")).not_to_be_empty()
    expect(page.locator("#result-remaining")).to_have_text(str(DEMO_CREDITS - 2))
    assert backend.accounts[DEMO_USER_ID].credits == DEMO_CREDITS - 2
    assert [m.receive_phone for m in backend.messages] == ["010-2222-3333", "010-4444-5555"]
    assert {m.send_phone for m in backend.messages} == {"02-123-4567"}


def test_reloading_the_result_page_does_not_send_twice(signed_in_page: Page,
                                                       backend: GatewayBackend) -> None:
    page = signed_in_page
    page.on("dialog", lambda dialog: dialog.accept())  # "Confirm form resubmission"
    fill_form(page, msg="한 번만 가야 하는 문자")
    submit(page)
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    answer = page.reload()  # the browser posts the same form, token and all, again
    assert answer is not None and answer.status == 409
    expect(page.locator("#repeated-message")).to_contain_text("이미 보냈습니다")
    expect(page.locator("#previous-result")).to_have_attribute("data-result", "success")
    assert len(send_calls(backend)) == 1
    assert backend.accounts[DEMO_USER_ID].credits == DEMO_CREDITS - 1


def test_a_refused_send_opens_the_form_again_with_everything_typed(
        signed_in_page: Page, backend: GatewayBackend) -> None:
    """Back after a refusal lost the recipients (autocomplete=off), and the refusal page
    offered only a blank form: now the form comes back filled in, with a new token."""
    page = signed_in_page
    names = "홍길동\t010-4444-5555\n김철수\t010-6666-7777"
    fill_form(page, msg="카지노 무료 쿠폰", rphone="010-2222-3333", sender="02-123-4567")
    page.click("#names summary")
    page.fill("#destination", names)
    first_token = page.locator("input[name=send_token]").input_value()
    with page.expect_navigation() as answer:
        page.click("#send-button")
    assert answer.value.status == 422
    expect(page.locator("#send-result")).to_have_attribute("data-code", "0044")
    expect(page.locator("#reopened-help")).to_be_visible()
    expect(page.locator("#rphone")).to_have_value("010-2222-3333")
    expect(page.locator("#destination")).to_have_value(names)
    expect(page.locator("#msg")).to_have_value("카지노 무료 쿠폰")
    expect(page.locator("#sphone")).to_have_value("02-123-4567")
    new_token = page.locator("input[name=send_token]").input_value()
    assert new_token and new_token != first_token
    assert len(send_calls(backend)) == 1  # the refused one; the page sent nothing again
    page.fill("#msg", "내일 오전 10시 회의입니다")
    submit(page)
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    assert len(send_calls(backend)) == 2
    assert sorted(m.receive_phone for m in backend.messages) == [
        "010-2222-3333", "010-4444-5555", "010-6666-7777"]


def test_back_after_a_refusal_keeps_what_was_typed(signed_in_page: Page,
                                                   backend: GatewayBackend) -> None:
    """The browser's Back from a refusal: the boxes keep what was typed (they had
    autocomplete=off, which tells the browser not to restore them)."""
    page = signed_in_page
    fill_form(page, msg="카지노 무료 쿠폰", rphone="010-2222-3333, 010-4444-5555")
    page.click("#names summary")
    page.fill("#destination", "010-6666-7777|홍길동")
    submit(page)
    expect(page.locator("#send-result")).to_have_attribute("data-code", "0044")
    page.go_back()
    expect(page.locator("#reopened-help")).to_have_count(0)  # the form as first opened
    expect(page.locator("#rphone")).to_have_value("010-2222-3333, 010-4444-5555")
    expect(page.locator("#destination")).to_have_value("010-6666-7777|홍길동")
    expect(page.locator("#msg")).to_have_value("카지노 무료 쿠폰")
    assert len(send_calls(backend)) == 1


def test_the_names_preview_says_how_it_read_the_lists(signed_in_page: Page) -> None:
    page = signed_in_page
    page.fill("#rphone", "010-2222-3333, 010-4444-5555")
    page.fill("#msg", "안녕하세요")
    page.click("#names summary")
    page.fill("#destination", "홍길동\t010-4444-5555\n010-6666-7777,김철수")
    expect(page.locator("#merge-preview .name-first")).to_have_text(
        "1개 항목을 이름,번호 순서로 읽었습니다")
    expect(page.locator("#rphone-status")).to_contain_text(
        "1개 번호를 이름 없이 이름 목록에 더해 보냅니다")
    expect(page.locator("#merge-preview .status")).to_contain_text("3명")
    page.fill("#destination", "010-4444-5555|" + "가" * (message.NAME_LIMIT + 1))
    expect(page.locator("#merge-preview .status")).to_contain_text(
        f"이름이 {message.NAME_LIMIT}자보다 긴 수신자 1명")


def test_empty_message_is_refused_next_to_the_field(signed_in_page: Page,
                                                    backend: GatewayBackend) -> None:
    page = signed_in_page
    fill_form(page, msg="")
    with page.expect_navigation() as answer:
        page.evaluate("document.smsForm.submit()")  # skips the script's own checks
    assert answer.value.status == 400
    expect(page.locator("fieldset:has(#msg) #msg-error")).to_contain_text("메시지를 입력해 주세요")
    expect(page.locator("#error-summary a[href='#msg']")).to_be_visible()
    expect(page.locator("#rphone")).to_have_value("010-2222-3333")
    assert send_calls(backend) == []


def test_post_without_csrf_token_is_refused(signed_in_page: Page, backend: GatewayBackend) -> None:
    page = signed_in_page
    fill_form(page, msg="토큰 없이")
    with page.expect_navigation() as answer:
        page.evaluate("document.smsForm.csrf_token.remove();"
                      "document.smsForm.submit()")
    assert answer.value.status == 400
    expect(page.locator("#send-result")).to_have_count(0)
    assert send_calls(backend) == []


def test_form_sends_without_javascript(no_js_page: Page, backend: GatewayBackend) -> None:
    page = no_js_page
    assert page.get_attribute("#meter", "data-bytes") is None  # no script ran
    fill_form(page, msg="스크립트 없이 보냅니다", sender="1588-1234")
    submit(page)
    expect(page.locator("#send-result")).to_have_attribute("data-result", "success")
    expect(page.locator("#result-remaining")).to_have_text(str(DEMO_CREDITS - 1))
    assert [m.send_phone for m in backend.messages] == ["1588-1234"]


# --- language and keyboard -----------------------------------------------------------


def test_english_labels(signed_in_page: Page) -> None:
    page = signed_in_page
    page.goto("/smsform?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Send a message")
    expect(page.locator("label[for=rphone]")).to_have_text("Recipient numbers")
    expect(page.locator("label[for=msg]")).to_have_text("Text")
    expect(page.locator("#send-button")).to_have_text("Send")
    page.fill("#msg", "Hello")
    expect(page.locator("#meter")).to_have_text(meter_text(5, "S", lang="en"))


def test_tab_reaches_the_message_box_and_the_send_button(signed_in_page: Page) -> None:
    page = signed_in_page
    visited: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.id"))
        if visited[-1] == "send-button":
            break
    assert "msg" in visited, visited
    assert visited[-1] == "send-button", visited
    assert visited.index("msg") < visited.index("send-button")
