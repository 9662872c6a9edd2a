"""Cafe24Client against the simulator, in-process and over a real loopback socket."""

from __future__ import annotations

import base64
import json
import socket
from datetime import timedelta

import pytest

from cafe24.answers import SendStatus
from cafe24.calls import ResultQuery, SendRequest
from cafe24.client import DEFAULT_BASE_URL, Cafe24Client
from cafe24.errors import (
    ConfigurationError,
    ConnectFailed,
    ConnectionDropped,
    GatewayRefused,
    HTTPStatusError,
    InvalidRequest,
    ResponseTimeout,
    UnreadableResponse,
)
from cafe24.phone import Recipient
from simulator import (
    DEMO_CREDITS,
    DEMO_SECURE_KEY,
    DEMO_SENDERS,
    DEMO_USER_ID,
    in_process_transport,
)
from simulator.server import SimulatorServer

SENDER = "010-1234-5678"
SEND_FIELDS = {"user_id", "secure", "msg", "rphone", "destination", "sphone1", "sphone2",
               "sphone3", "subject", "smsType", "rdate", "rtime", "testflag", "repeatFlag",
               "repeatNum", "repeatTime", "mode"}


def b64(value: str, codec: str = "utf-8") -> bytes:
    """What one Base64 field looks like on the wire, computed independently of the client."""
    return base64.b64encode(value.encode(codec))


def sends(backend) -> list:
    """The calls of sms_sender.php the simulator received."""
    return [c for c in backend.calls if c.path == "/sms_sender.php"]


def sms(*recipients: str, **kwargs) -> SendRequest:
    """A short SMS from the demo sender."""
    kwargs.setdefault("msg", "안녕하세요")
    return SendRequest(sender=SENDER, recipients=recipients or ("010-2222-3333",), **kwargs)


def credits(backend) -> int:
    return backend.accounts[DEMO_USER_ID].credits


# -- configuration --------------------------------------------------------------------


def test_defaults():
    client = Cafe24Client("id", "key")
    assert client.base_url == DEFAULT_BASE_URL == "https://sslsms.cafe24.com"
    assert client.timeout == (5.0, 20.0)
    assert client.charset == "utf-8"


@pytest.mark.parametrize("url", ["http://sslsms.cafe24.com", "http://10.0.0.5:8080"])
def test_plain_http_is_refused_for_other_hosts(url):
    with pytest.raises(ConfigurationError, match="plain http"):
        Cafe24Client("id", "key", base_url=url)


def test_plain_http_to_another_host_when_allowed():
    assert Cafe24Client("id", "key", base_url="http://sms.example.org",
                        allow_http=True).base_url == "http://sms.example.org"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765",
                                 "http://[::1]:8765", "http://127.0.0.1:8765/"])
def test_plain_http_is_allowed_for_loopback(url):
    assert Cafe24Client("id", "key", base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize(("user_id", "key"), [("", "key"), ("id", ""), ("", "")])
def test_missing_credentials(user_id, key):
    with pytest.raises(ConfigurationError, match="required"):
        Cafe24Client(user_id, key)


@pytest.mark.parametrize("kwargs", [{"charset": "latin-1"}, {"base_url": "ftp://x.org"},
                                    {"base_url": "sslsms.cafe24.com"},
                                    {"base_url": "https://sslsms.cafe24.com:99999"},
                                    {"base_url": "https://sms.example.org\r\nX-Evil: 1"},
                                    {"base_url": "https://sms.example .org"},
                                    {"base_url": "https://user:pw@sms.example.org"},
                                    {"base_url": "https://sms.example.org/?a=1"},
                                    {"base_url": "https://sms.example.org/#top"}],
                         ids=["charset", "ftp", "no-scheme", "port", "header-injection",
                              "space", "credentials", "query", "fragment"])
def test_bad_settings(kwargs):
    with pytest.raises(ConfigurationError):
        Cafe24Client("id", "key", **kwargs)


def test_repr_never_shows_the_key():
    client = Cafe24Client("demo", "s3cr3t-key-value")
    assert "s3cr3t-key-value" not in repr(client)
    assert "s3cr3t-key-value" not in str(client)
    assert "demo" in repr(client)


def test_from_env_reads_every_setting():
    client = Cafe24Client.from_env({
        "CAFE24_SMS_USER_ID": "shop", "CAFE24_SMS_SECURE_KEY": "k",
        "CAFE24_SMS_BASE_URL": "http://sms.example.org", "CAFE24_SMS_CHARSET": "EUC-KR",
        "CAFE24_SMS_CONNECT_TIMEOUT": "2", "CAFE24_SMS_READ_TIMEOUT": "9.5",
        "CAFE24_SMS_ALLOW_HTTP": "1",
    })
    assert (client.user_id, client.base_url, client.charset, client.timeout) == (
        "shop", "http://sms.example.org", "euc-kr", (2.0, 9.5))


@pytest.mark.parametrize("flag", ["1", "true", "yes", "True", "YES"])
def test_from_env_allow_http_spellings(flag):
    env = {"CAFE24_SMS_USER_ID": "shop", "CAFE24_SMS_SECURE_KEY": "k",
           "CAFE24_SMS_BASE_URL": "http://sms.example.org", "CAFE24_SMS_ALLOW_HTTP": flag}
    assert Cafe24Client.from_env(env).base_url == "http://sms.example.org"


def test_from_env_defaults_and_missing_key():
    client = Cafe24Client.from_env({"CAFE24_SMS_USER_ID": "shop", "CAFE24_SMS_SECURE_KEY": "k"})
    assert (client.base_url, client.timeout) == (DEFAULT_BASE_URL, (5.0, 20.0))
    with pytest.raises(ConfigurationError):
        Cafe24Client.from_env({"CAFE24_SMS_USER_ID": "shop"})


@pytest.mark.parametrize("value", ["soon", "-1", "0"])
@pytest.mark.parametrize("name", ["CAFE24_SMS_CONNECT_TIMEOUT", "CAFE24_SMS_READ_TIMEOUT"])
def test_from_env_refuses_unusable_timeouts(name, value):
    env = {"CAFE24_SMS_USER_ID": "id", "CAFE24_SMS_SECURE_KEY": "key", name: value}
    with pytest.raises(ConfigurationError, match=name):
        Cafe24Client.from_env(env)


def test_from_env_reaches_the_simulator(socket_server):
    client = Cafe24Client.from_env({"CAFE24_SMS_USER_ID": DEMO_USER_ID,
                                    "CAFE24_SMS_SECURE_KEY": DEMO_SECURE_KEY,
                                    "CAFE24_SMS_BASE_URL": socket_server.url})
    assert client.remaining() == DEMO_CREDITS


# -- what the simulator receives --------------------------------------------------------


def test_sms_fields_on_the_wire(demo_client, demo_backend):
    outcome = demo_client.send(sms("01022223333", "010 3333 4444", msg="안녕하세요\r\n반가워요"))

    assert outcome.status is SendStatus.SUCCESS
    call = demo_backend.calls[-1]
    assert call.path == "/sms_sender.php" and call.base64_mode
    assert set(call.raw) == SEND_FIELDS
    assert call.raw["mode"] == b"MQ=="
    assert call.raw["user_id"] == b64(DEMO_USER_ID)
    assert call.raw["secure"] == b64(DEMO_SECURE_KEY)
    assert call.raw["msg"] == b64("안녕하세요\n반가워요")
    assert call.raw["rphone"] == b64("010-2222-3333,010-3333-4444")
    assert (call.raw["sphone1"], call.raw["sphone2"], call.raw["sphone3"]) == (
        b64("010"), b64("1234"), b64("5678"))
    assert call.raw["smsType"] == b64("S")
    for empty in ("destination", "subject", "rdate", "rtime", "testflag", "repeatFlag",
                  "repeatNum", "repeatTime"):
        assert call.raw[empty] == b""
    assert call.fields["msg"] == "안녕하세요\n반가워요"
    assert call.fields["rphone"] == "010-2222-3333,010-3333-4444"


def test_lms_with_subject_on_the_wire(demo_client, demo_backend):
    outcome = demo_client.send(sms(msg="긴 안내문 " * 20, subject="5월 공지"))

    assert outcome.status is SendStatus.SUCCESS
    call = demo_backend.calls[-1]
    assert call.raw["smsType"] == b64("L")
    assert call.raw["subject"] == b64("5월 공지")
    assert (call.fields["smsType"], call.fields["subject"]) == ("L", "5월 공지")


def test_destination_with_names_on_the_wire_and_merged(demo_client, demo_backend, clock):
    named = (Recipient("010-1234-5678", "박 믿음"), Recipient("010-2222-3333", "김 찾기"))
    outcome = demo_client.send(SendRequest(msg="{name}님 안녕하세요", sender=SENDER, named=named))

    assert outcome.status is SendStatus.SUCCESS
    call = demo_backend.calls[-1]
    destination = "010-1234-5678|박 믿음,010-2222-3333|김 찾기"
    standard = b64(destination)
    assert b"+" in standard and b"/" in standard and standard.endswith(b"=")
    assert call.raw["destination"] == standard.replace(b"+", b"-").replace(b"/", b",")
    assert call.raw["rphone"] == b""
    assert call.fields["destination"] == destination

    page = demo_client.results(ResultQuery(date=clock.now.date()))
    assert sorted(row.msg for row in page.rows) == ["김 찾기님 안녕하세요", "박 믿음님 안녕하세요"]


def test_euckr_client_sends_cp949_bytes(client_factory, demo_backend):
    client = client_factory(charset="euc-kr")
    outcome = client.send(sms(msg="한글 안녕"))

    assert outcome.status is SendStatus.SUCCESS
    call = demo_backend.calls[-1]
    assert call.raw["msg"] == b64("한글 안녕", "cp949")
    assert call.raw["user_id"] == b64(DEMO_USER_ID)
    assert call.raw["mode"] == b"MQ=="
    assert call.fields["msg"] == "한글 안녕"


def test_reservation_on_the_wire(demo_client, demo_backend, clock):
    when = clock.now + timedelta(hours=2)
    outcome = demo_client.send(sms("01022223333", "01033334444", reserve_at=when))

    assert outcome.status is SendStatus.RESERVED
    assert outcome.remaining == DEMO_CREDITS - 2
    call = demo_backend.calls[-1]
    assert call.raw["rdate"] == b64(when.strftime("%Y%m%d"))
    assert call.raw["rtime"] == b64(when.strftime("%H%M%S"))
    rows = demo_client.results(ResultQuery(date=clock.now.date())).rows
    assert {(r.send_type, r.status) for r in rows} == {("R", "2")}
    assert rows[0].sent_at_raw == when.strftime("%Y%m%d%H%M")  # sendDateTime, KST


def test_repeat_on_the_wire_and_charged_per_repeat(demo_client, demo_backend, clock):
    request = sms("01022223333", repeat_num=3, repeat_minutes=15)
    outcome = demo_client.send(request)

    assert outcome.status is SendStatus.SUCCESS
    call = demo_backend.calls[-1]
    assert (call.raw["repeatFlag"], call.raw["repeatNum"], call.raw["repeatTime"]) == (
        b64("Y"), b64("3"), b64("15"))
    assert outcome.remaining == DEMO_CREDITS - request.cost == DEMO_CREDITS - 3
    rows = demo_client.results(ResultQuery(date=clock.now.date())).rows
    assert sorted(r.sent_at_raw for r in rows) == [
        (clock.now + timedelta(minutes=m)).strftime("%Y%m%d%H%M") for m in (0, 15, 30)]


def test_test_send_costs_nothing(demo_client, demo_backend):
    outcome = demo_client.send(sms("01022223333", "01033334444", test=True))

    assert outcome.status is SendStatus.TEST and outcome.ok
    assert outcome.remaining == DEMO_CREDITS
    assert demo_backend.calls[-1].raw["testflag"] == b64("Y")
    assert demo_client.remaining() == DEMO_CREDITS
    assert demo_backend.messages == []


# -- credit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "cost"),
    [
        (sms("01022223333"), 1),
        (sms("01022223333", "01033334444", "01044445555"), 3),
        (sms("01022223333", msg="x" * 91), 3),
        (sms("01022223333", "01033334444", msg="x" * 91), 6),
        (sms("01022223333", "01033334444", msg="short", lms=True), 6),
    ],
    ids=["sms-1", "sms-3", "lms-1", "lms-2", "forced-lms-2"],
)
def test_credit_falls_per_recipient(demo_client, request_, cost):
    outcome = demo_client.send(request_)
    assert outcome.remaining == DEMO_CREDITS - cost
    assert request_.cost == cost
    assert demo_client.remaining() == DEMO_CREDITS - cost


# -- senders and results -------------------------------------------------------------


def test_senders(demo_client):
    assert demo_client.senders() == list(DEMO_SENDERS)


def test_account_without_senders(empty_account, demo_backend):
    assert empty_account.senders() == []
    outcome = empty_account.send(sms())
    assert outcome.code == "-114"


def test_statuses_settle_and_failures_are_refunded(demo_client, clock):
    demo_client.send(sms("01022223333", "01011110000", "01099999999"))
    demo_client.send(sms("01044445555", msg="l" * 100))
    assert demo_client.remaining() == DEMO_CREDITS - 3 - 3
    today = clock.now.date()

    before = demo_client.results(ResultQuery(date=today))
    assert before.total == 3
    assert {r.status for r in before.rows} == {"1"}
    assert {r.refund_date for r in before.rows} == {""}

    clock.advance(seconds=3)

    after = demo_client.results(ResultQuery(date=today))
    by_phone = {r.receive_phone: r for r in after.rows}
    assert by_phone["010-2222-3333"].status == "3"
    assert by_phone["010-2222-3333"].refund_date == ""
    for failed, code in (("010-1111-0000", "3208"), ("010-9999-9999", "3207")):
        assert by_phone[failed].status == "9"
        assert by_phone[failed].refund_date.startswith(clock.now.strftime("%Y-%m-%d"))
        assert by_phone[failed].extra["resultCode"] == code
    assert demo_client.remaining() == DEMO_CREDITS - 1 - 3


def test_failed_lms_is_refunded_three(demo_client, clock):
    demo_client.send(sms("01011110000", msg="l" * 100))
    assert demo_client.remaining() == DEMO_CREDITS - 3
    clock.advance(seconds=5)
    assert demo_client.remaining() == DEMO_CREDITS
    (row,) = demo_client.results(ResultQuery(date=clock.now.date(), lms=True)).rows
    assert (row.status, row.extra["resultCode"]) == ("9", "204")


def test_reservation_settles_after_its_time(demo_client, clock):
    demo_client.send(sms(reserve_at=clock.now + timedelta(minutes=30)))
    query = ResultQuery(date=clock.now.date())
    clock.advance(minutes=29)
    assert demo_client.results(query).rows[0].status == "2"
    clock.advance(minutes=1, seconds=3)
    assert demo_client.results(query).rows[0].status == "3"


@pytest.fixture
def settled_history(demo_client, clock):
    """Five SMS (one failing), one reserved SMS and one LMS, all settled but the reserved."""
    demo_client.send(sms("01022223333", "01033334444", "01044445555", "01055556666",
                         "01011110000"))
    demo_client.send(sms("01066667777", reserve_at=clock.now + timedelta(hours=1)))
    demo_client.send(sms("01077778888", msg="l" * 100))
    clock.advance(seconds=10)
    return demo_client


@pytest.mark.parametrize(
    ("filters", "phones"),
    [
        ({}, {"010-2222-3333", "010-3333-4444", "010-4444-5555", "010-5555-6666",
              "010-1111-0000", "010-6666-7777"}),
        ({"send_type": "general"}, {"010-2222-3333", "010-3333-4444", "010-4444-5555",
                                    "010-5555-6666", "010-1111-0000"}),
        ({"send_type": "reserve"}, {"010-6666-7777"}),
        ({"status": "S"}, {"010-2222-3333", "010-3333-4444", "010-4444-5555",
                           "010-5555-6666"}),
        ({"status": "F"}, {"010-1111-0000"}),
        ({"receive_phone": "010-3333-4444"}, {"010-3333-4444"}),
        ({"receive_phone": "01033334444"}, {"010-3333-4444"}),
        ({"send_phone": "02-123-4567"}, set()),
        ({"lms": True}, {"010-7777-8888"}),
    ],
    ids=["all", "general", "reserve", "delivered", "failed", "receivePhone",
         "receivePhone-digits", "sendPhone-other", "lms"],
)
def test_results_filters(settled_history, clock, filters, phones):
    page = settled_history.results(ResultQuery(date=clock.now.date(), display=50, **filters))
    assert page.code == "0000"
    assert {r.receive_phone for r in page.rows} == phones
    assert page.total == len(phones)


def test_results_paging(settled_history, clock):
    query = {"date": clock.now.date(), "send_type": "general"}
    first = settled_history.results(ResultQuery(start=0, display=2, **query))
    second = settled_history.results(ResultQuery(start=2, display=2, **query))
    last = settled_history.results(ResultQuery(start=4, display=2, **query))
    assert (first.total, second.total, last.total) == (5, 5, 5)
    assert (len(first.rows), len(second.rows), len(last.rows)) == (2, 2, 1)
    phones = [r.receive_phone for page in (first, second, last) for r in page.rows]
    assert len(set(phones)) == 5


def test_results_newest_first_and_day_window(demo_client, clock):
    demo_client.send(sms("01022223333", msg="old"))
    clock.advance(days=3)
    demo_client.send(sms("01033334444", msg="new"))
    today = clock.now.date()
    assert [r.msg for r in demo_client.results(ResultQuery(date=today, day=1)).rows] == ["new"]
    assert [r.msg for r in demo_client.results(ResultQuery(date=today, day=7)).rows] == [
        "new", "old"]


def test_results_sent_as_plain_fields(demo_client, demo_backend, clock):
    demo_client.results(ResultQuery(date=clock.now.date(), day=2, start=1, display=5,
                                    status="F", receive_phone="010-2222-3333", lms=True))
    call = demo_backend.calls[-1]
    assert call.path == "/sms_list.php" and not call.base64_mode
    assert call.fields == {
        "user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY,
        "date": clock.now.strftime("%Y%m%d"), "day": "2", "startNo": "1", "displayNo": "5",
        "sendType": "all", "sendStatus": "F", "receivePhone": "010-2222-3333",
        "sendPhone": "", "smsType": "lms",
    }


def test_senders_and_remaining_fields(demo_client, demo_backend):
    demo_client.senders()
    assert demo_backend.calls[-1].fields == {"userId": DEMO_USER_ID, "passwd": DEMO_SECURE_KEY}
    demo_client.remaining()
    assert demo_backend.calls[-1].raw == {"user_id": b64(DEMO_USER_ID),
                                          "secure": b64(DEMO_SECURE_KEY), "mode": b"MQ=="}


# -- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda now: sms(msg=""), "-101"),
        (lambda now: sms(reserve_at=now + timedelta(minutes=5)), "-105"),
        (lambda now: sms(*(f"010-1000-{i:04d}" for i in range(1000))), "-110"),
        (lambda now: SendRequest(msg="hi", sender="010-9999-8888",
                                 recipients=("01022223333",)), "-114"),
        (lambda now: sms(msg="됬다"), "-202"),
        (lambda now: sms(msg="카지노 오픈"), "0044"),
        (lambda now: sms(msg="x" * 91, extra={"smsType": "S"}), "0004"),
        (lambda now: sms(msg="x" * 100, subject="가" * 26), "0004"),
        (lambda now: sms(msg="가" * 1001), "0004"),
        (lambda now: sms("12345"), "3202"),
        (lambda now: sms(repeat_num=11, repeat_minutes=15), "0003"),
    ],
    ids=["missing-msg", "reservation-too-soon", "1000-recipients", "sender-not-registered",
         "refused-char", "spam", "sms-too-long", "subject-too-long", "lms-too-long",
         "bad-number", "repeat-count"],
)
def test_gateway_refusals(demo_client, demo_backend, clock, build, code):
    outcome = demo_client.send(build(clock.now), validate=False)

    assert outcome.status is SendStatus.REFUSED
    assert outcome.code == code
    assert outcome.info.known
    assert outcome.remaining == DEMO_CREDITS
    assert credits(demo_backend) == DEMO_CREDITS
    assert demo_backend.messages == []
    assert len(sends(demo_backend)) == 1


def test_authentication_refused_everywhere(wrong_key_client):
    outcome = wrong_key_client.send(sms())
    assert (outcome.status, outcome.code, outcome.remaining) == (SendStatus.REFUSED, "-102", None)
    with pytest.raises(GatewayRefused) as remain:
        wrong_key_client.remaining()
    assert remain.value.code == "-102"
    with pytest.raises(GatewayRefused) as listing:
        wrong_key_client.results()
    assert listing.value.code == "-102"
    with pytest.raises(GatewayRefused):
        wrong_key_client.senders()


def test_not_enough_credit(no_credit_account, demo_backend):
    outcome = no_credit_account.send(sms())
    assert (outcome.status, outcome.code, outcome.remaining) == (SendStatus.REFUSED, "-201", 0)
    assert demo_backend.messages == []
    assert no_credit_account.send(sms(test=True)).status is SendStatus.TEST


def test_credit_for_some_but_not_all_recipients(demo_backend, client_factory):
    demo_backend.add_account("tight", "tight-key", [SENDER], 2)
    client = client_factory("tight", "tight-key")
    assert client.send(sms("01022223333", "01033334444", "01044445555")).code == "-201"
    assert client.send(sms("01022223333", "01033334444")).remaining == 0


@pytest.mark.parametrize(
    ("path", "data", "answer"),
    [
        ("/sms_sender.php", {"user_id": "ZGVtbw==", "mode": "MQ=="}, "-101,"),
        ("/sms_sender.php", {"user_id": "ZGVtbw==", "secure": "ZGVtby1zZWN1cmUta2V5",
                             "msg": "%%%", "rphone": "MDEwMjIyMjMzMzM=", "sphone1": "MDEw",
                             "sphone2": "MTIzNA==", "sphone3": "NTY3OA==", "mode": "MQ=="},
         "3203,"),
        ("/sms_sender.php", {"user_id": "ZGVtbw==", "secure": "ZGVtby1zZWN1cmUta2V5",
                             "msg": "aGk=", "rphone": "!!", "sphone1": "MDEw",
                             "sphone2": "MTIzNA==", "sphone3": "NTY3OA==", "mode": "MQ=="},
         "-101,"),
        ("/sms_remain.php", {"mode": "MQ=="}, "-101"),
        ("/smsSenderPhone.php", {"userId": "demo"}, None),
        ("/sms_list.php", {"user_id": "demo"}, None),
    ],
    ids=["send-missing-key", "msg-not-base64", "field-not-base64", "remain-missing",
         "senders-missing", "results-missing"],
)
def test_raw_refusals_the_client_cannot_make(demo_client, demo_backend, path, data, answer):
    text = demo_client._post(path, data).decode()  # the one request path, any fields; a 200
    if answer is not None:
        assert text == answer
    elif path == "/smsSenderPhone.php":
        assert json.loads(text)["result"] == "Fail"
    else:
        assert "<code>-101</code>" in text
    assert demo_backend.calls[-1].path == path


@pytest.mark.parametrize(
    "request_",
    [
        sms(msg=""),
        SendRequest(msg="hi", sender="12", recipients=("01022223333",)),
        SendRequest(msg="hi", sender=SENDER),
        sms("010-1"),
        SendRequest(msg="hi", sender=SENDER, recipients=("01022223333",),
                    named=(Recipient("010-3333-4444", "김"),)),
        sms(*(f"010-1000-{i:04d}" for i in range(1000))),
        sms(repeat_num=11, repeat_minutes=15),
        sms(repeat_num=2, repeat_minutes=10),
        sms(msg="됬다"),
        sms(msg="가" * 1001),
        sms(msg="x" * 100, subject="가" * 26),
        sms(msg="{name} 😀"),
    ],
    ids=["empty-msg", "bad-sender", "no-recipients", "bad-recipient", "both-fields",
         "1000-recipients", "repeat-count", "repeat-interval", "refused-char", "too-long",
         "subject-too-long", "emoji"],
)
def test_client_validation_stops_before_the_wire(demo_client, demo_backend, request_):
    with pytest.raises(InvalidRequest) as caught:
        demo_client.send(request_)
    assert caught.value.problems
    assert caught.value.safe_to_retry
    assert demo_backend.calls == []


def test_reservation_too_soon_is_stopped_before_the_wire(demo_client, demo_backend, clock):
    with pytest.raises(InvalidRequest, match="reservation_too_soon") as caught:
        demo_client.send(sms(reserve_at=clock.now + timedelta(minutes=5)))
    assert [(p.code, p.params) for p in caught.value.problems] == [
        ("reservation_too_soon", {"minutes": 10})]
    assert demo_backend.calls == []


@pytest.mark.parametrize("query", [ResultQuery(day=8), ResultQuery(display=51),
                                   ResultQuery(start=-1), ResultQuery(status="Q")])
def test_results_filters_checked_before_the_wire(demo_client, demo_backend, query):
    with pytest.raises(ValueError):
        demo_client.results(query)
    assert demo_backend.calls == []


# -- transport failures ------------------------------------------------------------------


def test_connection_refused_is_connect_failed(closed_port):
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=f"http://127.0.0.1:{closed_port}")
    with pytest.raises(ConnectFailed) as caught:
        client.send(sms())
    assert caught.value.safe_to_retry and not caught.value.outcome_unknown
    for operation in (client.senders, client.remaining, client.results):
        with pytest.raises(ConnectFailed):
            operation()


@pytest.fixture
def connection_attempts(monkeypatch):
    """Counts the client's TCP connects (a spy: every attempt still really happens)."""
    attempts: list[tuple] = []
    real = socket.create_connection

    def counting(address, *args, **kwargs):
        attempts.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    return attempts


def test_connect_is_retried_until_the_gateway_listens(demo_backend, closed_port, monkeypatch,
                                                      connection_attempts):
    servers: list[SimulatorServer] = []
    spy = socket.create_connection

    def start_listening_after_first_refusal(address, *args, **kwargs):
        try:
            return spy(address, *args, **kwargs)
        except ConnectionRefusedError:
            if not servers:
                servers.append(SimulatorServer(demo_backend, port=closed_port).start())
            raise

    monkeypatch.setattr(socket, "create_connection", start_listening_after_first_refusal)
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=f"http://127.0.0.1:{closed_port}")
    try:
        outcome = client.send(sms())
    finally:
        client.close()
        for server in servers:
            server.stop()
    assert outcome.status is SendStatus.SUCCESS
    assert len(connection_attempts) == 2
    assert len(sends(demo_backend)) == 1


def test_connect_retries_can_be_turned_off(closed_port, connection_attempts):
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY,
                          base_url=f"http://127.0.0.1:{closed_port}", connect_retries=0)
    with pytest.raises(ConnectFailed):
        client.remaining()
    assert len(connection_attempts) == 1


def test_default_client_tries_to_connect_three_times(closed_port, connection_attempts):
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=f"http://127.0.0.1:{closed_port}")
    with pytest.raises(ConnectFailed):
        client.send(sms())
    assert len(connection_attempts) == 3


FAULTS = [
    ("stall", ResponseTimeout),
    ("drop", ConnectionDropped),
    ("http500", HTTPStatusError),
    ("garbage", UnreadableResponse),
    ("html", UnreadableResponse),
]


@pytest.mark.parametrize(("fault", "error"), FAULTS, ids=[f for f, _ in FAULTS])
def test_send_fault_means_unknown_and_is_never_retried(impatient_client, demo_backend, fault,
                                                       error):
    demo_backend.inject(fault)
    outcome = impatient_client.send(sms())

    assert outcome.status is SendStatus.UNKNOWN
    assert not outcome.ok
    assert type(outcome.error) is error
    assert outcome.error.outcome_unknown and not outcome.error.safe_to_retry
    assert len(sends(demo_backend)) == 1
    assert outcome.info is None and outcome.code is None
    # The client recovers: the next send goes through on the same client.
    assert impatient_client.send(sms()).status is SendStatus.SUCCESS
    assert len(sends(demo_backend)) == 2


def test_lost_answer_after_the_gateway_sent_is_unknown_not_failed(demo_client, demo_backend):
    """The worst case: the gateway sent and charged, but its answer never arrived."""
    before = credits(demo_backend)
    demo_backend.inject("lost")
    outcome = demo_client.send(sms("010-2222-3333", "010-4444-5555"))

    assert outcome.status is SendStatus.UNKNOWN
    assert type(outcome.error) is ConnectionDropped
    assert credits(demo_backend) == before - 2  # it really went out
    assert len(sends(demo_backend)) == 1  # and was not sent again
    assert sorted(r.receive_phone for r in demo_client.results().rows) == [
        "010-2222-3333", "010-4444-5555"]  # the results page is where to find out


def test_http_error_keeps_status_and_body(demo_client, demo_backend):
    demo_backend.inject("http500")
    outcome = demo_client.send(sms())
    assert outcome.error.status_code == 500
    assert "500" in outcome.error.body


@pytest.mark.parametrize("operation", ["senders", "remaining", "results"])
@pytest.mark.parametrize(("fault", "error"), FAULTS, ids=[f for f, _ in FAULTS])
def test_lookup_faults_raise_typed_errors(impatient_client, demo_backend, operation, fault,
                                          error):
    demo_backend.inject(fault)
    with pytest.raises(error):
        getattr(impatient_client, operation)()
    assert len(demo_backend.calls) == 1


def test_text_the_charset_cannot_hold_is_refused_before_the_wire(demo_backend):
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url="https://simulator.invalid",
                          charset="euc-kr", transport=in_process_transport(demo_backend))
    request = SendRequest(msg="{name}님 안녕하세요", sender=SENDER,
                          named=(Recipient("010-2222-3333", "😀"),))
    with pytest.raises(InvalidRequest, match="euc-kr"):
        client.send(request, validate=False)
    assert demo_backend.calls == []


def test_a_crash_inside_the_in_process_gateway_answers_500_like_a_server(demo_backend):
    class Crashing(type(demo_backend)):
        def send(self, fields):
            raise RuntimeError("boom")

    crashing = Crashing()
    crashing.accounts = demo_backend.accounts
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url="https://simulator.invalid",
                          transport=in_process_transport(crashing))
    outcome = client.send(sms())
    assert outcome.status is SendStatus.UNKNOWN
    assert type(outcome.error) is HTTPStatusError
    assert outcome.error.status_code == 500 and "RuntimeError" in outcome.error.body


@pytest.mark.parametrize("value", [
    "", "abc", "QUJD+/==", "MDEwLTEyMzQtNTY3OHztmY3quLjrj5k-,=", "홍길동", "a b&c=d",
    "x\ny", "100%", "-_.~", "+,/=" * 50])
def test_a_form_body_is_written_as_urlencode_writes_it(value):
    from urllib.parse import urlencode

    from cafe24.client import form_body

    fields = {"msg": value, "user_id": "ZGVtbw==", "mode": "MQ=="}
    assert form_body(fields) == urlencode(fields).encode("ascii")
