"""Read-only look-ups: sender numbers, remaining credit and results."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from cafe24 import codes
from simulator import DEMO_SENDERS
from smsform.views.lookup import CSV_COLUMNS
from tests.answering_gateway import AnsweringGateway
from tests.support import build_app, page, sign_in, valid_send

JSON = {"Accept": "application/json"}


def result_csv_rows(response) -> list[dict[str, str]]:
    """The results CSV's rows by the gateway's field names (its headings are in the reader's
    language)."""
    header, *rows = csv.reader(io.StringIO(response.get_data(as_text=True)[1:]))
    keys = [key for key, _label in CSV_COLUMNS]
    assert len(header) == len(keys)
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _list_calls(backend) -> list:
    return [c for c in backend.calls if c.path == "/sms_list.php"]


COLUMNS = ("sent", "type", "kind", "from", "to", "msg", "status", "refund")


def _rows(response) -> list[dict[str, str]]:
    """The results table's rows, each cell by its column (``td.col-to`` is ``to``)."""
    return [{name: tr.select_one(f"td.col-{name}").get_text(" ", strip=True)
             for name in COLUMNS}
            for tr in page(response).select("table#results tbody tr[class^=status-]")]


@pytest.fixture
def delivered_and_failed(admin_client, clock):
    """Two SMS from the first sender, settled: one delivered, one failed and refunded."""
    response = admin_client.post("/smssend", data=valid_send(
        rphone="010-2222-3333,010-3333-0000", msg="배송 안내"))
    assert response.status_code == 200
    return clock


@pytest.fixture
def mixed_history(admin_client, backend, clock):
    """An SMS, an LMS from the second sender, and a reservation for tomorrow, all today."""
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333", msg="일반 SMS"))
    admin_client.post("/smssend", data=valid_send(
        rphone="010-4444-5555", msg="장문 LMS", smsType="L", subject="제목",
        sphone="02-123-4567", sphone1="02", sphone2="123", sphone3="4567"))
    tomorrow = clock.now + timedelta(days=1)
    admin_client.post("/smssend", data=valid_send(
        rphone="010-6666-7777", msg="예약 SMS", rdate=tomorrow.strftime("%Y-%m-%d"),
        rtime=tomorrow.strftime("%H:%M")))
    assert len(backend.messages) == 3
    return clock


# -- /calljson ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_calljson_gives_the_gateways_json_shape(admin_client, method):
    response = getattr(admin_client, method)("/calljson")
    assert response.status_code == 200
    assert response.get_json() == {"result": "Success", "list": list(DEMO_SENDERS)}
    assert b"demo-secure-key" not in response.data


def test_calljson_reports_a_refusal_without_the_key(admin_client, wrong_key_account):
    response = admin_client.get("/calljson")
    assert response.status_code == 502
    body = response.get_json()
    assert (body["result"], body["list"]) == ("Fail", [])
    assert b"secure-key" not in response.data


def test_calljson_reports_a_lost_answer(admin_client, backend):
    backend.inject("garbage")
    response = admin_client.get("/calljson")
    assert response.status_code == 502
    assert response.get_json()["result"] == "Error"


# -- /smscount ---------------------------------------------------------------------------


def test_smscount_shows_credit_and_what_it_buys(admin_client):
    soup = page(admin_client.get("/smscount"))
    assert soup.select_one("#remaining").get_text(strip=True) == "1,000건"
    assert soup.select_one("#buys-sms").get_text(strip=True) == "1,000"
    assert soup.select_one("#buys-lms").get_text(strip=True) == "333"


def test_smscount_json(admin_client):
    response = admin_client.get("/smscount", headers=JSON)
    assert response.get_json() == {"remaining": 1000, "sms": 1000, "lms": 333}
    assert admin_client.get("/smscount?format=json").get_json()["remaining"] == 1000


def test_smscount_follows_sends(admin_client):
    admin_client.post("/smssend", data=valid_send(msg="가" * 46))  # one LMS
    assert admin_client.get("/smscount", headers=JSON).get_json()["remaining"] == 997


def test_smscount_explains_a_refusal(admin_client, wrong_key_account):
    response = admin_client.get("/smscount")
    assert response.status_code == 502
    assert page(response).select_one("p.warn[role=alert]").get_text(strip=True) == (
        codes.describe_remain("-102").ko + " " + codes.describe_remain("-102").hint_ko)
    json_response = admin_client.get("/smscount", headers=JSON)
    assert json_response.status_code == 502
    assert json_response.get_json()["remaining"] is None


def test_smscount_reports_a_lost_answer(admin_client, backend):
    backend.inject("http500")
    response = admin_client.get("/smscount")
    assert response.status_code == 502
    assert page(response).select_one("p.warn") is not None


# -- /smsresult ---------------------------------------------------------------------------


def test_statuses_and_refund_dates_in_words(admin_client, delivered_and_failed):
    response = admin_client.get("/smsresult")
    assert response.status_code == 200
    soup = page(response)
    assert soup.select_one("#total").get_text(strip=True) == "2"
    delivered = soup.select_one("tr.status-3")
    failed = soup.select_one("tr.status-9")
    assert delivered.select_one("td.col-to").get_text(strip=True) == "010-2222-3333"
    assert delivered.select_one("td.col-status").get_text(strip=True) == "발송 성공"
    assert delivered.select_one("td.col-refund").get_text(strip=True) == "-"
    assert failed.select_one("td.col-to").get_text(strip=True) == "010-3333-0000"
    assert failed.select_one("td.col-status small").get_text(strip=True) == (
        "3208: " + codes.describe_delivery("3208").ko)
    refund = delivered_and_failed.now.strftime("%Y-%m-%d %H:%M:%S")
    assert failed.select_one("td.col-refund").get_text(strip=True) == refund
    assert delivered.select_one("td.col-type").get_text(strip=True) == "일반"
    assert delivered.select_one("td.col-kind").get_text(strip=True) == "SMS"


def test_requested_messages_are_shown_as_requested(admin_client, backend):
    admin_client.post("/smssend", data=valid_send())  # the real clock: not settled yet
    [row] = _rows(admin_client.get("/smsresult"))
    assert row["status"] == "즉시 발송 요청"


def test_results_json(admin_client, delivered_and_failed):
    response = admin_client.get("/smsresult", headers=JSON)
    body = response.get_json()
    assert (body["code"], body["total"], body["page"]) == ("0000", 2, 1)
    by_phone = {item["receivePhone"]: item for item in body["items"]}
    assert by_phone["010-2222-3333"]["statusText"] == "발송 성공"
    failed = by_phone["010-3333-0000"]
    assert (failed["sendStatus"], failed["resultCode"]) == ("9", "3208")
    assert failed["resultText"] == codes.describe_delivery("3208").ko
    assert failed["refundDate"]
    assert set(failed) >= {"sendType", "sendTypeText", "sendPhone", "msg", "sendDateTime"}
    assert b"demo-secure-key" not in response.data


def test_results_csv(admin_client, delivered_and_failed):
    response = admin_client.get("/smsresult?format=csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=smsresult.csv"
    assert response.get_data(as_text=True).startswith("\ufeff")
    rows = result_csv_rows(response)
    assert {r["receivePhone"]: r["statusText"] for r in rows} == {
        "010-2222-3333": "발송 성공", "010-3333-0000": "발송 실패"}
    assert all(r["msg"] == "배송 안내" for r in rows)


def test_csv_link_keeps_the_filters(admin_client, delivered_and_failed):
    soup = page(admin_client.get("/smsresult?sendStatus=F"))
    href = soup.select_one("a#csv-link")["href"]
    assert href == "/smsresult?sendStatus=F&format=csv"
    rows = result_csv_rows(admin_client.get(href))
    assert [r["receivePhone"] for r in rows] == ["010-3333-0000"]


@pytest.mark.parametrize("formula", ["=HYPERLINK(1)", "+SUM(1)", "@SUM(1)"])
def test_csv_neutralises_spreadsheet_formulas(admin_client, clock, formula):
    admin_client.post("/smssend", data=valid_send(msg=formula))
    rows = result_csv_rows(admin_client.get("/smsresult?format=csv"))
    assert [r["msg"] for r in rows] == ["'" + formula]


@pytest.mark.parametrize(("status", "phones"), [
    ("S", ["010-2222-3333"]), ("F", ["010-3333-0000"]),
    ("", ["010-2222-3333", "010-3333-0000"]),
])
def test_filter_by_status(admin_client, backend, delivered_and_failed, status, phones):
    body = admin_client.get("/smsresult", headers=JSON,
                            query_string={"sendStatus": status}).get_json()
    assert sorted(i["receivePhone"] for i in body["items"]) == phones
    assert _list_calls(backend)[-1].fields["sendStatus"] == status


@pytest.mark.parametrize(("filters", "phones"), [
    ({"sendType": "all"}, ["010-2222-3333", "010-4444-5555", "010-6666-7777"]),
    ({"sendType": "general"}, ["010-2222-3333", "010-4444-5555"]),
    ({"sendType": "reserve"}, ["010-6666-7777"]),
    ({"smsType": "lms"}, ["010-4444-5555"]),
    ({"smsType": "sms"}, ["010-2222-3333", "010-6666-7777"]),
    ({"receivePhone": "01066667777"}, ["010-6666-7777"]),
    ({"sendPhone": "021234567", "smsType": "lms"}, ["010-4444-5555"]),
    ({"sendPhone": "02-123-4567", "smsType": "sms"}, []),
    ({"sendPhone": "02-123-4567"}, ["010-4444-5555"]),
])
def test_filters_reach_the_gateway(admin_client, backend, mixed_history, filters, phones):
    body = admin_client.get("/smsresult", headers=JSON, query_string=filters).get_json()
    assert sorted(i["receivePhone"] for i in body["items"]) == phones
    sent = _list_calls(backend)[-1].fields
    if "receivePhone" in filters:
        assert sent["receivePhone"] == "010-6666-7777"
    if "sendPhone" in filters:
        assert sent["sendPhone"] == "02-123-4567"
    if filters.get("smsType") == "lms":
        assert sent["smsType"] == "lms"


def test_reserved_rows_say_so(admin_client, mixed_history):
    rows = {r["to"]: r for r in _rows(admin_client.get("/smsresult?sendType=reserve"))}
    assert rows["010-6666-7777"]["type"] == "예약"
    assert rows["010-6666-7777"]["status"] == "예약 발송 요청"


def test_date_and_day_choose_the_window(admin_client, backend, clock):
    admin_client.post("/smssend", data=valid_send(rphone="010-2222-3333", msg="오래된"))
    later = clock.advance(days=3)
    admin_client.post("/smssend", data=valid_send(rphone="010-3333-4444", msg="최근"))
    date = later.strftime("%Y-%m-%d")
    one_day = admin_client.get("/smsresult", headers=JSON,
                               query_string={"date": date, "day": "1"}).get_json()
    assert [i["msg"] for i in one_day["items"]] == ["최근"]
    week = admin_client.get("/smsresult", headers=JSON,
                            query_string={"date": date, "day": "7"}).get_json()
    assert [i["msg"] for i in week["items"]] == ["최근", "오래된"]  # newest first
    sent = _list_calls(backend)[-1].fields
    assert (sent["date"], sent["day"]) == (later.strftime("%Y%m%d"), "7")


@pytest.mark.parametrize(("day", "sent"), [("0", "1"), ("9", "7"), ("abc", "1"), ("3", "3")])
def test_day_is_kept_between_1_and_7(admin_client, backend, day, sent):
    response = admin_client.get("/smsresult", query_string={"day": day})
    assert response.status_code == 200
    assert _list_calls(backend)[-1].fields["day"] == sent
    assert page(response).select_one("select#day option[selected]")["value"] == sent


def test_filters_are_kept_in_the_form(admin_client):
    soup = page(admin_client.get("/smsresult", query_string={
        "date": "2024-05-01", "day": "3", "sendType": "reserve", "sendStatus": "F",
        "smsType": "lms", "receivePhone": "01022223333", "displayNo": "30"}))
    assert soup.select_one("input#date")["value"] == "2024-05-01"
    assert soup.select_one("select#sendType option[selected]")["value"] == "reserve"
    assert soup.select_one("select#sendStatus option[selected]")["value"] == "F"
    assert soup.select_one("select#smsType option[selected]")["value"] == "lms"
    assert soup.select_one("input#receivePhone")["value"] == "010-2222-3333"
    assert soup.select_one("select#displayNo option[selected]")["value"] == "30"


@pytest.fixture
def sixty_messages(admin_client, backend, clock):
    """Sixty settled SMS, one per recipient."""
    numbers = ",".join(f"010-5000-{i:04d}" for i in range(1, 61))
    assert admin_client.post("/smssend", data=valid_send(rphone=numbers)).status_code == 200
    return numbers.split(",")


def test_paging_with_fifty_per_page(admin_client, backend, sixty_messages):
    first = admin_client.get("/smsresult?displayNo=50&smsType=sms")
    soup = page(first)
    assert len(_rows(first)) == 50
    assert soup.select_one("nav.pager span").get_text(strip=True) == "1 / 2"
    assert soup.select_one("nav.pager a[rel=prev]") is None
    next_href = soup.select_one("nav.pager a[rel=next]")["href"]
    second = admin_client.get(next_href)  # the view hands over whole links
    assert len(_rows(second)) == 10
    assert (_list_calls(backend)[-1].fields["startNo"],
            _list_calls(backend)[-1].fields["displayNo"]) == ("50", "50")
    assert page(second).select_one("nav.pager a[rel=prev]") is not None
    seen = {r["to"] for r in _rows(first)} | {r["to"] for r in _rows(second)}
    assert seen == set(sixty_messages)


def test_display_no_is_capped_at_fifty(admin_client, backend, sixty_messages):
    body = admin_client.get("/smsresult?displayNo=500&format=json").get_json()
    assert (len(body["items"]), body["total"]) == (50, 60)
    assert _list_calls(backend)[-1].fields["displayNo"] == "50"


def test_results_explain_a_refusal(admin_client, wrong_key_account):
    response = admin_client.get("/smsresult")
    assert response.status_code == 502
    assert page(response).select_one("#result-error").get_text(strip=True) == (
        codes.describe_list("-102").text("ko"))
    body = admin_client.get("/smsresult", headers=JSON).get_json()
    assert (body["code"], body["items"]) == ("-102", [])


@pytest.mark.parametrize("fault", ["drop", "garbage", "http500"])
def test_results_report_a_lost_answer(admin_client, backend, fault):
    backend.inject(fault)
    response = admin_client.get("/smsresult", headers=JSON)
    assert response.status_code == 502
    assert response.get_json()["code"] == "error"


BROKEN_TOTALS = {"superscript": "²", "5000-digits": "9" * 5000}


@pytest.fixture
def configured_gateway():
    """An app configured for a gateway on 127.0.0.1 whose answers the test writes (for
    what the simulator never says), its address and the gateway."""
    with AnsweringGateway() as gateway_answers:
        app = build_app(None, CAFE24_SMS_BASE_URL=gateway_answers.url,
                        CAFE24_SMS_USER_ID="shop", CAFE24_SMS_SECURE_KEY="shop-secure-key")
        yield app, gateway_answers.url, gateway_answers


@pytest.mark.parametrize("total", BROKEN_TOTALS.values(), ids=BROKEN_TOTALS.keys())
@pytest.mark.parametrize("kind", ["all", "sms", "lms"])
def test_a_result_list_with_a_broken_total_is_a_gateway_failure_on_every_format(
        configured_gateway, total, kind):
    app, base, gateway_answers = configured_gateway
    gateway_answers.answer("/sms_list.php", (
        f"<result><code>0000</code><totalCnt>{total}</totalCnt><record><sendType>I</sendType>"
        "<msg>안녕</msg><sendDateTime>202612070900</sendDateTime></record></result>"))
    client = sign_in(app)
    query = {"smsType": kind, "lang": "ko"}
    shown = client.get("/smsresult", query_string=query)
    assert shown.status_code == 502
    error = page(shown).select_one("#result-error").get_text(strip=True)
    assert error.startswith("게이트웨이가 답했지만") and "형식" in error
    as_json = client.get("/smsresult", query_string=query, headers=JSON)
    assert as_json.status_code == 502
    assert (as_json.get_json()["code"], as_json.get_json()["items"]) == ("error", [])
    as_csv = client.get("/smsresult", query_string={**query, "format": "csv"})
    assert as_csv.status_code == 502 and as_csv.mimetype == "text/html"


def test_a_users_result_pages_count_their_gateway_calls_against_a_rate(backend, clock):
    app = build_app(backend, RESULTS_RATE_LIMIT="3 per minute")
    client, other = sign_in(app, "viewer"), sign_in(app, "sender")
    assert client.get("/smsresult").status_code == 200  # both kinds: two calls
    calls = len(_list_calls(backend))
    refused = client.get("/smsresult", query_string={"lang": "ko"})  # one more is allowed
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    text = page(refused).select_one("#result-error").get_text(strip=True)
    assert text.startswith("게이트웨이의 결과 목록") and "SMS" in text
    assert len(_list_calls(backend)) == calls + 1  # the refused call was never made
    as_json = client.get("/smsresult", headers=JSON, query_string={"smsType": "sms"})
    assert (as_json.status_code, as_json.get_json()["code"]) == (429, "throttled")
    assert as_json.headers["Retry-After"]
    assert other.get("/smsresult", query_string={"smsType": "lms"}).status_code == 200


def test_message_text_is_escaped(admin_client, clock):
    admin_client.post("/smssend", data=valid_send(msg="<script>alert(1)</script>"))
    soup = page(admin_client.get("/smsresult"))
    assert soup.select("td.msg script") == []
    assert soup.select_one("td.msg").get_text() == "<script>alert(1)</script>"


def test_sender_numbers_are_asked_of_the_gateway_once_a_minute(admin_client, backend,
                                                              monkeypatch):
    from smsform.services import gateway as gateway_service

    def lookups() -> int:
        return sum(1 for c in backend.calls if c.path == "/smsSenderPhone.php")

    admin_client.get("/smsform")
    admin_client.get("/calljson")
    admin_client.get("/smsform")
    assert lookups() == 1
    # A minute later the list is asked for again.
    real = gateway_service.time.monotonic
    gateway = admin_client.application.extensions[gateway_service.EXTENSION]
    monkeypatch.setattr(gateway, "clock", lambda: real() + gateway_service.SENDERS_TTL + 1)
    admin_client.get("/calljson")
    assert lookups() == 2


def test_a_failed_sender_lookup_is_not_remembered(admin_client, backend):
    backend.inject("http500")
    assert admin_client.get("/calljson").status_code == 502
    response = admin_client.get("/calljson")
    assert response.status_code == 200
    assert response.get_json()["list"] == list(DEMO_SENDERS)


def test_simulation_mode_is_logged_at_start_up(backend, caplog):
    with caplog.at_level("WARNING"):
        build_app(backend)
    assert any("built-in simulator" in r.getMessage() for r in caplog.records)


# -- the kind filter: SMS and LMS together by default ------------------------------------------


def _send_kinds(client, clock, kinds: str, per_send: int = 1) -> list[tuple[str, str]]:
    """One send per letter of ``kinds`` (S or L), a minute apart, each to ``per_send`` new
    numbers; the (recipient, kind) rows a list of both kinds shows, newest first."""
    rows = []
    for i, kind in enumerate(kinds):
        numbers = [f"010-7{i:03d}-{j:04d}" for j in range(per_send)]
        extra = {"smsType": "L", "subject": "제목"} if kind == "L" else {}
        response = client.post("/smssend", data=valid_send(rphone=",".join(numbers),
                                                           msg=f"{kind}{i}", **extra))
        assert response.status_code == 200
        rows.append([(n, "lms" if kind == "L" else "sms") for n in numbers])
        clock.advance(minutes=1)
    return [row for send in reversed(rows) for row in send]


def test_the_kind_filter_offers_all_and_starts_on_it(admin_client, backend, clock):
    expected = _send_kinds(admin_client, clock, "SLS")
    response = admin_client.get("/smsresult")
    soup = page(response)
    options = [o["value"] for o in soup.select("select#smsType option")]
    assert options == ["all", "sms", "lms"]
    assert soup.select_one("select#smsType option[selected]")["value"] == "all"
    assert [(r["to"], r["kind"].lower()) for r in _rows(response)] == expected
    assert soup.select_one("#total").get_text(strip=True) == "3"
    kinds = {c.fields["smsType"] for c in _list_calls(backend)}
    assert kinds == {"", "lms"}  # one list of each kind


@pytest.mark.parametrize(("kind", "sent"), [("sms", ""), ("lms", "lms")])
def test_one_kind_asks_the_gateway_once(admin_client, backend, clock, kind, sent):
    _send_kinds(admin_client, clock, "SL")
    before = len(_list_calls(backend))
    body = admin_client.get("/smsresult", headers=JSON, query_string={"smsType": kind}
                            ).get_json()
    assert [i["kind"] for i in body["items"]] == [kind]
    assert [c.fields["smsType"] for c in _list_calls(backend)[before:]] == [sent]


@pytest.mark.parametrize("value", ["", "bogus", "S"])
def test_an_unknown_or_empty_kind_means_all(admin_client, clock, value):
    _send_kinds(admin_client, clock, "SL")
    body = admin_client.get("/smsresult", headers=JSON, query_string={"smsType": value}
                            ).get_json()
    assert body["kind"] == "all" and len(body["items"]) == 2


def test_paging_through_both_kinds_shows_every_message_once_in_time_order(
        admin_client, backend, clock):
    expected = _send_kinds(admin_client, clock, "SLLSLSS", per_send=4)
    assert len(expected) == 28
    seen, href = [], "/smsresult?displayNo=10"
    pages = []
    while href:
        response = admin_client.get(href)
        soup = page(response)
        assert soup.select_one("#total").get_text(strip=True) == "28"
        pages.append(soup.select_one("nav.pager span").get_text(strip=True))
        seen.extend((r["to"], r["kind"].lower()) for r in _rows(response))
        link = soup.select_one("nav.pager a[rel=next]")
        href = link["href"] if link else None
    assert pages == ["1 / 3", "2 / 3", "3 / 3"]
    assert seen == expected


def test_a_later_page_of_both_kinds_reads_each_list_from_its_start(admin_client, backend,
                                                                  clock, sixty_messages):
    before = len(_list_calls(backend))
    body = admin_client.get("/smsresult?displayNo=50&page=2&format=json").get_json()
    assert (body["total"], len(body["items"])) == (60, 10)
    calls = [(c.fields["smsType"], c.fields["startNo"], c.fields["displayNo"])
             for c in _list_calls(backend)[before:]]
    assert calls == [("", "0", "50"), ("", "50", "50"), ("lms", "0", "50")]


def test_results_csv_names_the_kind(admin_client, clock):
    _send_kinds(admin_client, clock, "SL")
    rows = result_csv_rows(admin_client.get("/smsresult?format=csv"))
    assert [r["kindText"] for r in rows] == ["LMS", "SMS"]


def test_viewers_see_result_numbers_masked_and_cannot_search_by_number(app, admin_client,
                                                                       viewer_client):
    admin_client.post("/smssend", data=valid_send(rphone="010-9876-5432"))
    as_json = viewer_client.get("/smsresult", headers=JSON).get_json()
    assert [item["receivePhone"] for item in as_json["items"]] == ["010-****-5432"]
    assert "010-9876-5432" not in viewer_client.get("/smsresult").get_data(as_text=True)
    assert "9876" not in viewer_client.get("/smsresult?format=csv").get_data(as_text=True)
    refused = viewer_client.get("/smsresult?receivePhone=010-9876-5432", headers=JSON)
    assert (refused.status_code, refused.get_json()["code"]) == (403, "numbers_hidden")
    whole = admin_client.get("/smsresult", headers=JSON).get_json()
    assert [item["receivePhone"] for item in whole["items"]] == ["010-9876-5432"]
