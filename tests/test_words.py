"""Words a new user meets (issue 13): the way a send came in, codes and answers, credits,
the CSVs, the result page, the dashboard's outage line, error pages, the relay's charset
and the audit's details, in the reader's language and never as raw values."""

from __future__ import annotations

import csv
import io
import re

import pytest

from smsform import messages
from smsform.views.sends import CSV_COLUMNS
from tests.support import page, sign_in, valid_send

EN = {"lang": "en"}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))


@pytest.mark.parametrize(("source", "ko"), [("form", "웹 양식"), ("json", "웹 양식(JSON)"),
                                            ("api", "API"), ("relay", "중계"),
                                            ("cli", "명령줄(CLI)")])
def test_every_way_in_has_words(app, source, ko):
    with app.test_request_context("/"):
        assert messages.source_text(source) == ko


def test_the_send_log_says_how_a_send_came_in_and_what_it_cost(admin_client):
    admin_client.post("/smssend", data=valid_send())
    listed = page(admin_client.get("/sends"))
    assert "웹 양식 ·" in listed.select_one("#sends td.who small").get_text()
    assert "form" not in listed.select_one("#sends td.who").get_text()
    assert [th.get_text() for th in listed.select("#sends thead th")][5] == "차감 건수"
    shown = page(admin_client.get("/sends/1"))
    assert shown.select_one("#source").get_text() == "웹 양식"
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text()
             for dt in shown.select("#send-detail dt")}
    assert facts["차감 건수"] == "1" and "건수" not in facts
    assert facts["게이트웨이 코드"] == "-"  # the gateway answered "success": the heading says it
    assert "success" not in shown.select_one("#send-detail dl").get_text()
    # The raw answer only for support, folded, under a name that says what it is.
    raw = shown.select_one("details#answer-raw")
    assert "success," in raw.select_one("pre#answer").get_text()
    assert "원문" in raw.select_one("summary").get_text()


def test_a_test_sends_raw_answer_is_no_sentence_of_its_page(admin_client):
    admin_client.post("/smssend", data=valid_send(testflag="Y"))
    shown = page(admin_client.get("/sends/1"))
    outside = shown.select_one("#send-detail")
    outside.select_one("details#answer-raw").decompose()
    assert "Test Success!" not in outside.get_text()
    assert "테스트" in shown.select_one("#code-text").get_text()


def test_the_send_logs_csv_speaks_the_readers_language(admin_client):
    admin_client.post("/smssend", data=valid_send(testflag="Y"))
    keys = [key for key, _label in CSV_COLUMNS]
    header, cells = _csv(admin_client.get("/sends?format=csv"))
    row = dict(zip(keys, cells, strict=True))
    assert header[:4] == ["발송 번호", "일시(한국 시간)", "누가", "경로"]
    assert "차감 건수" in header
    # a date-time text, with no T and no +09:00
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["created_at"])
    assert (row["source"], row["kind"], row["test"], row["result"]) == (
        "웹 양식", "SMS", "예", "테스트(미발송)")
    header, cells = _csv(admin_client.get("/sends", query_string={"format": "csv", **EN}))
    row = dict(zip(keys, cells, strict=True))
    assert header[:4] == ["Send no.", "When (KST)", "Who", "Way in"]
    assert (row["source"], row["test"], row["result"], row["code"]) == (
        "Web form", "yes", "Test only", "")


def test_the_results_csv_writes_a_date_time_a_spreadsheet_reads(admin_client):
    admin_client.post("/smssend", data=valid_send())
    header, row = _csv(admin_client.get("/smsresult?format=csv"))
    assert header[0] == "발송 시각(한국 시간)" and "받는 번호" in header
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[0]), row[0]  # not 202612071013
    header, _row = _csv(admin_client.get("/smsresult", query_string={"format": "csv", **EN}))
    assert header[:2] == ["Sent (KST)", "Type"]


@pytest.mark.parametrize("testflag", ["", "Y"])
def test_the_result_page_says_each_thing_once(admin_client, testflag):
    card = page(admin_client.post("/smssend", data=valid_send(testflag=testflag))).select_one(
        "#send-result")
    heading = card.select_one("h1").get_text(strip=True)
    message = card.select_one("#result-message").get_text(strip=True)
    result = card.select_one("#result-code").get_text(strip=True)
    assert len({heading, message, result}) == 3
    assert "접수되었습니다" not in message  # the heading's words, not again
    assert "전송 결과" in message or "테스트 발송" in message  # what to do next


def test_the_form_and_its_problems_speak_no_field_names(admin_client):
    soup = page(admin_client.get("/smsform"))
    assert "testflag" not in soup.select_one("fieldset.card.test").get_text()
    answer = page(admin_client.post("/smssend", data=valid_send(msg="{name}님 안녕하세요")))
    words = answer.select_one("#error-summary").get_text()
    assert "{name}" in words and "destination" not in words and "이름 넣기" in words


@pytest.mark.parametrize(("path", "heading", "todo"), [
    ("/no-such-page", "페이지를 찾을 수 없습니다", "메뉴"),
    ("/admin/users", "권한이 없습니다", "관리자"),
])
def test_an_error_page_says_what_happened_and_what_to_do(app, path, heading, todo):
    viewer = sign_in(app, "viewer")
    soup = page(viewer.get(path))
    assert soup.select_one("main h1").get_text(strip=True) == heading
    assert todo in soup.select_one("#error-message").get_text()
    assert not re.search(r"\b40[34]\b", soup.select_one("title").get_text())


def test_the_dashboards_outage_line_is_two_sentences_not_three_nested(
        unreachable_gateway_client):
    words = page(unreachable_gateway_client.get("/dashboard")).select_one(
        "#credit-error").get_text()
    assert words.count(":") == 0 and words.count(".") == 2, words


def test_a_relay_sites_charset_and_its_audit_read_as_words(admin_client):
    form = page(admin_client.get("/admin/relays"))
    options = {o["value"]: o.get_text() for o in form.select("#charset option")}
    assert options["auto"] == "자동 판별(UTF-8 또는 EUC-KR)"
    assert "Test Success!" not in form.select_one("#add-relay-form").get_text()
    admin_client.post("/admin/relays", data={"name": "shop", "senders": "02-123-4567",
                                             "daily_limit": "", "allow_ips": "",
                                             "charset": "auto"})
    detail = page(admin_client.get("/audit")).select_one(
        "#audit tr[data-action=relay_created] td.detail").get_text()
    assert "자동 판별" in detail and "하루 한도: -" in detail and "아니요" in detail
    for raw in ("[", "None", "False", "auto", "daily_limit"):
        assert raw not in detail, raw
