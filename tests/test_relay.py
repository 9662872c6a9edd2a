"""The relay end to end on a running server: the vendor samples' own bytes, a public client,
each refusal, the send log, and the master key never in an answer."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode, urlsplit

import pytest
from flask import Flask
from sqlalchemy import update

from cafe24.encoding import encoded_forms
from cafe24.schedule import KST
from simulator import DEMO_CREDITS, DEMO_SECURE_KEY, DEMO_USER_ID, GatewayBackend
from simulator import demo_backend as demo_backend_factory
from smsform.extensions import db
from smsform.models import AuditEvent, RelaySite, Send, User
from smsform.services import relay_gate, relay_sites
from smsform.services.audit import CLI_ACTOR
from tests import support
from tests.answering_gateway import AnsweringGateway
from tests.support import (
    ADMIN,
    TextWork,
    b64,
    build_app,
    make_user,
    page,
    php_sample_request,
    php_sample_send_fields,
    sign_in,
)

ROOT = Path(__file__).resolve().parent.parent
CLIENT_DIR = ROOT / "tests" / "relay_client"
CLIENT_VENV = ROOT / ".venv" / "client"
SENDER = "010-1234-5678"
TO = "010-2222-3333"


# -- the master key in every form a broken answer could carry it --------------------------

MASTER_FORMS = sorted({f for form in encoded_forms(DEMO_SECURE_KEY) if len(form) >= 6
                       for f in (form, quote(form, safe=""), quote_plus(form))}, key=len)


def assert_no_master_key(body: bytes) -> None:
    """No form of the master key (as is, Base64 in either alphabet, URL-quoted) in ``body``."""
    text = body.decode("latin-1")
    found = [form for form in MASTER_FORMS if form in text]
    assert found == [], f"the master key leaked into a relay answer: {found}"


# -- a running app with the relay --------------------------------------------------------


@dataclass
class Live:
    """The app served on 127.0.0.1, the simulator behind it."""

    app: Flask
    backend: GatewayBackend
    host: str
    port: int

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def site(self, name: str = "shop", senders: tuple[str, ...] = (SENDER,),
             **options) -> relay_sites.Issued:
        with self.app.app_context():
            return relay_sites.create_site(name, senders, by=CLI_ACTOR, **options)

    def sends(self) -> list[Send]:
        with self.app.app_context():
            rows = db.session.execute(db.select(Send).order_by(Send.id)).scalars().all()
            db.session.expunge_all()
            return rows


@contextmanager
def serve(app: Flask) -> Iterator[tuple[str, int]]:
    """``app`` served on 127.0.0.1 (tests.support.serve): its host and port, for raw sockets."""
    with support.serve(app) as base:
        address = urlsplit(base)
        yield address.hostname, address.port


def relay_app(tmp_path: Path, backend: GatewayBackend, **config) -> Flask:
    """The real app on a SQLite file (the server answers on its own threads), CSRF on."""
    return build_app(backend, **{
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'relay.db'}",
        "WTF_CSRF_ENABLED": True, "RELAY_RATE_LIMIT": "1000 per minute", **config})


@pytest.fixture
def live(tmp_path) -> Iterator[Live]:
    backend = demo_backend_factory()
    app = relay_app(tmp_path, backend)
    with serve(app) as (host, port):
        yield Live(app, backend, host, port)


# -- the vendor samples' requests, byte for byte ----------------------------------------


def exchange(live: Live, request: bytes) -> tuple[bytes, bytes]:
    """Write a request, read until the server closes, split on the first blank line (what
    the PHP sample does); every relay answer is checked for the master key."""
    with socket.create_connection((live.host, live.port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert_no_master_key(answer)
    return head, body


def php_request(live: Live, path: str, fields: dict[str, str]) -> bytes:
    """The vendor PHP sample's request to the live app (tests.support.php_sample_request)."""
    return php_sample_request(live.host, live.port, path, fields)


def php_send_fields(issued: relay_sites.Issued, **overrides: str) -> dict[str, str]:
    """What the PHP sample posts for ``issued`` (tests.support.php_sample_send_fields)."""
    return php_sample_send_fields(issued.site.user_id, issued.secure, **overrides)


def php_send(live: Live, issued: relay_sites.Issued, **overrides: str) -> bytes:
    """Post the PHP sample's send to the relay; the answer's body."""
    return exchange(live, php_request(live, "/relay/sms_sender.php",
                                      php_send_fields(issued, **overrides)))[1]


def jsp_post(live: Live, path: str, body: str, content_type: str =
             "application/x-www-form-urlencoded") -> tuple[int, str, bytes]:
    """The JSP samples' post: HttpURLConnection, URL-encoded fields; status, type, body."""
    conn = http.client.HTTPConnection(live.host, live.port, timeout=10)
    try:
        conn.request("POST", path, body=body.encode("ascii"),
                     headers={"Content-Type": content_type, "User-Agent": "Mozilla/5.0"})
        response = conn.getresponse()
        content = response.read()
        assert response.getheader("Set-Cookie") is None  # no session
        assert_no_master_key(content)
        return response.status, response.getheader("Content-Type"), content
    finally:
        conn.close()


def jsp_send_body(issued: relay_sites.Issued, msg: str = "안녕하세요", **overrides: str) -> str:
    """smssend.jsp's fields: Base64 values, URL-encoded."""
    fields = {"user_id": b64(issued.site.user_id), "secure": b64(issued.secure),
              "msg": b64(msg), "rphone": b64(TO), "sphone1": b64("010"),
              "sphone2": b64("1234"), "sphone3": b64("5678"), "rdate": "", "rtime": "",
              "mode": b64("1"), "testflag": "", "smsType": b64("S"), "subject": ""}
    fields.update(overrides)
    return urlencode(fields)


# -- the PHP sample's raw bytes -----------------------------------------------------------


def test_the_php_sample_sends_through_the_relay_with_the_master_key(live):
    issued = live.site()

    head, body = exchange(live, php_request(live, "/relay/sms_sender.php",
                                            php_send_fields(issued)))

    assert head.split(b"\r\n")[0].endswith(b"200 OK")
    assert b"Content-Type: text/html; charset=utf-8" in head
    assert b"Set-Cookie" not in head
    assert body == f"success,{DEMO_CREDITS - 2}".encode()
    call = live.backend.calls[-1]
    assert (call.fields["user_id"], call.fields["secure"]) == (DEMO_USER_ID, DEMO_SECURE_KEY)
    assert [m.msg for m in live.backend.messages] == ["안녕하세요 홍길동님", "안녕하세요 김철수님"]
    [row] = live.sends()
    assert (row.source, row.actor, row.user_id, row.result) == ("relay", "shop", None,
                                                                "success")
    assert (row.client_address, row.cost, row.sender) == ("127.0.0.1", 2, SENDER)


def test_the_php_sample_reads_the_remaining_credit(live):
    issued = live.site()
    fields = {"user_id": b64(issued.site.user_id), "secure": b64(issued.secure),
              "mode": b64("1")}
    head, body = exchange(live, php_request(live, "/relay/sms_remain.php", fields))
    assert b"text/html; charset=utf-8" in head
    assert body == str(DEMO_CREDITS).encode()


@pytest.mark.parametrize(("overrides", "answer"), [
    ({"secure": b64("wrong")}, b"-102,"),
    ({"user_id": b64("relay-nosuchid")}, b"-102,"),
    ({"user_id": b64(DEMO_USER_ID), "secure": b64(DEMO_SECURE_KEY)}, b"-102,"),  # not ours
    ({"user_id": ""}, b"-101,"),
    ({"msg": "%%not base64%%"}, b"3203,"),
    ({"sphone1": "%%not base64%%"}, b"-101,"),
    ({"sphone1": b64("02"), "sphone2": b64("123"), "sphone3": b64("4567")}, b"-114,"),
    ({"msg": b64("됬")}, b"-202,"),
    ({"msg": b64("가" * 46), "destination": "", "rphone": b64(TO)}, b"0004,"),
    ({"rdate": b64("20000101"), "rtime": b64("120000")}, b"-105,"),
])
def test_refusals_answer_the_gateways_codes_and_never_reach_it(live, overrides, answer):
    issued = live.site()
    assert php_send(live, issued, **overrides) == answer
    assert live.backend.calls == []  # the gateway was never called
    assert live.backend.accounts[DEMO_USER_ID].credits == DEMO_CREDITS


def test_a_disabled_site_is_refused_like_a_wrong_key(live):
    issued = live.site()
    with live.app.app_context():
        assert relay_sites.disable_site("shop", by=CLI_ACTOR) is True
    assert php_send(live, issued) == b"-102,"
    assert live.sends() == [] and live.backend.calls == []


def test_an_address_outside_the_allowed_networks_is_refused(live):
    outside = live.site("outside", allow_ips=("203.0.113.0/24",))
    inside = live.site("inside", allow_ips=("203.0.113.0/24", "127.0.0.0/8"))
    assert php_send(live, outside) == b"-102,"
    assert php_send(live, inside) == f"success,{DEMO_CREDITS - 2}".encode()
    assert [row.actor for row in live.sends()] == ["inside"]


def test_a_site_over_its_daily_limit_gets_201_and_is_told_what_is_left(live):
    issued = live.site(daily_limit=3)
    assert php_send(live, issued) == b"success,1"  # 2 of 3 spent: 1 left for today
    assert php_send(live, issued) == b"-201,1"  # two more would pass the limit
    assert php_send(live, issued, testflag=b64("Y")) == b"Test Success!,1"  # tests are free
    assert [row.result for row in live.sends()] == ["success", "test"]
    assert live.backend.accounts[DEMO_USER_ID].credits == DEMO_CREDITS - 2


def test_a_test_only_site_only_ever_gets_test_success(live):
    issued = live.site(test_only=True)
    assert php_send(live, issued) == f"Test Success!,{DEMO_CREDITS}".encode()
    assert live.backend.messages == []
    assert live.backend.calls[-1].fields["testflag"] == "Y"
    [row] = live.sends()
    assert (row.test, row.result, row.cost) == (True, "test", 0)


def _destination(text: str) -> str:
    """A destination field as the PHP sample writes it (its own Base64 alphabet)."""
    return b64(text).translate(str.maketrans("+/", "-,"))


def test_a_name_past_the_limit_is_refused_even_without_placeholder(live):
    """A 100,000-character name reached the gateway when the text had no {name}."""
    issued = live.site()
    long_name = _destination("010-2222-3333|" + "가" * 100_000)
    assert php_send(live, issued, msg=b64("안녕하세요"), destination=long_name) == b"0004,"
    assert live.backend.calls == []


def test_a_test_only_site_refuses_a_long_names_list_for_little_work(monkeypatch, live):
    """3,000 names and {name} 333 times: 7 s of CPU on a test-only site before its refusal."""
    issued = live.site(test_only=True)
    names = ",".join(f"010-{2000 + i // 10000:04d}-{i % 10000:04d}|{'n' * 100}"
                     for i in range(3000))
    fields = php_send_fields(issued, msg=b64("{name}" * 333), destination=_destination(names))
    work = TextWork(monkeypatch)
    _head, body = exchange(live, php_request(live, "/relay/sms_sender.php", fields))
    assert body == b"0004,"  # an SMS that would be sent as an LMS (before the count)
    size = len(names) + 333 * 6
    assert work.chars <= 10 * size, f"{work.chars:,} characters of work for {size:,}"
    assert live.backend.calls == []


def test_a_refusal_of_the_gateway_keeps_its_own_code(live):
    issued = live.site()
    live.backend.accounts[DEMO_USER_ID].credits = 1
    assert php_send(live, issued) == b"-201,1"  # two recipients, one credit
    assert live.sends()[-1].result == "refused"


def test_the_master_key_refused_is_a_server_failure_not_the_sites(live):
    """The gateway's -102 means the app's own key is wrong: the site's key was right."""
    issued = live.site()
    live.backend.accounts[DEMO_USER_ID].secure_key = "rotated-at-cafe24"
    assert php_send(live, issued) == b"-100,"
    assert live.sends()[-1].code == "-102"  # the log keeps what the gateway said


@pytest.mark.parametrize("fault", ["echo", "http500", "lost", "garbage"])
def test_an_unknown_outcome_is_a_server_failure_and_never_echoes_the_key(live, fault):
    """A broken proxy sends the request (with the master key) back: the site gets -100."""
    issued = live.site()
    live.backend.inject(fault)
    assert php_send(live, issued) == b"-100,"
    [row] = live.sends()
    assert row.result == "unknown"


@pytest.mark.parametrize(("path", "answer"), [
    ("/relay/sms_remain.php", b"-100"),
    ("/relay/smsSenderPhone.php", b'{"result": "Fail", "message": "refused (-100)"}'),
    ("/relay/sms_list.php", b'<?xml version="1.0" encoding="UTF-8"?>\n<result>\n'
     b"<code>-100</code>\n<totalCnt>0</totalCnt>\n</result>"),
])
def test_an_echoing_gateway_never_gets_the_key_to_a_site_on_any_path(live, path, answer):
    issued = live.site()
    php_send(live, issued)  # a logged send, so that the list asks the gateway
    live.backend.inject("echo")
    fields = {"user_id": issued.site.user_id, "secure": issued.secure,
              "userId": issued.site.user_id, "passwd": issued.secure}
    status, _, body = jsp_post(live, path, urlencode(fields))  # checks for the key too
    assert (status, body) == (200, answer)
    assert live.backend.faults == []  # the echo was answered, and went no further


def test_a_gateway_that_cannot_be_reached_is_a_server_failure(tmp_path):
    backend = demo_backend_factory()
    backend.inject("drop")  # the in-process transport: the connection breaks
    app = relay_app(tmp_path, backend)
    with serve(app) as (host, port):
        live = Live(app, backend, host, port)
        assert php_send(live, live.site()) == b"-100,"


# -- the JSP samples' URL-encoded posts ---------------------------------------------------


def test_the_jsp_samples_send_list_senders_and_read_the_credit(live):
    issued = live.site(senders=(SENDER, "010-9999-8888"))  # the second is not registered

    status, ctype, body = jsp_post(live, "/relay/sms_sender.php", jsp_send_body(issued))
    assert (status, ctype, body) == (200, "text/html; charset=utf-8",
                                     f"success,{DEMO_CREDITS - 1}".encode())

    status, ctype, body = jsp_post(live, "/relay/smsSenderPhone.php", urlencode(
        {"userId": issued.site.user_id, "passwd": issued.secure}))
    assert (status, ctype) == (200, "application/json; charset=utf-8")
    assert json.loads(body) == {"result": "Success", "list": [SENDER]}  # only its own

    status, ctype, body = jsp_post(live, "/relay/sms_remain.php", urlencode(
        {"user_id": b64(issued.site.user_id), "secure": b64(issued.secure), "mode": b64("1")}))
    assert (status, body) == (200, str(DEMO_CREDITS - 1).encode())

    status, ctype, body = jsp_post(live, "/relay/sms_list.php", urlencode(
        {"user_id": issued.site.user_id, "secure": issued.secure, "day": "1",
         "startNo": "0", "displayNo": "10", "sendType": "", "sendStatus": "",
         "receivePhone": "", "smsType": ""}))
    assert (status, ctype) == (200, "text/xml; charset=utf-8")
    xml = page_xml(body)
    assert xml["code"] == "0000" and xml["total"] == "1"
    assert [(r["sendPhone"], r["receivePhone"], r["msg"]) for r in xml["records"]] == [
        (SENDER, TO, "안녕하세요")]


def page_xml(body: bytes) -> dict:
    from defusedxml import ElementTree

    root = ElementTree.fromstring(body)
    return {"code": root.findtext("code"), "total": root.findtext("totalCnt"),
            "records": [{child.tag: child.text or "" for child in record}
                        for record in root.iter("record")]}


@pytest.mark.parametrize(("path", "fields", "answer"), [
    ("/relay/sms_remain.php", {"user_id": b64("relay-x"), "secure": b64("k"), "mode": b64("1")},
     b"-102"),
    ("/relay/smsSenderPhone.php", {"userId": "relay-x", "passwd": "k"},
     b'{"result": "Fail", "message": "authentication failed"}'),
    ("/relay/smsSenderPhone.php", {"userId": "", "passwd": ""},
     b'{"result": "Fail", "message": "missing userId or passwd"}'),
    ("/relay/sms_list.php", {"user_id": "relay-x", "secure": "k"},
     b'<?xml version="1.0" encoding="UTF-8"?>\n<result>\n<code>-102</code>\n'
     b"<totalCnt>0</totalCnt>\n</result>"),
])
def test_each_path_refuses_unknown_credentials_in_its_own_format(live, path, fields, answer):
    status, _, body = jsp_post(live, path, urlencode(fields))
    assert (status, body) == (200, answer)
    assert live.backend.calls == []


def test_plain_mode_with_euckr_text_as_the_django_client_sends(live):
    issued = live.site(charset="euc-kr")
    body = urlencode({"user_id": issued.site.user_id, "secure": issued.secure,
                      "msg": "창문을 여세요", "rphone": TO, "sphone1": "010", "sphone2": "1234",
                      "sphone3": "5678"}, encoding="euc-kr")
    assert jsp_post(live, "/relay/sms_sender.php", body)[2] == (
        f"success,{DEMO_CREDITS - 1}".encode())
    assert live.backend.messages[-1].msg == "창문을 여세요"


def test_unknown_fields_are_ignored_as_the_gateway_ignores_them(live):
    issued = live.site()
    body = jsp_send_body(issued, shop_order=b64("A-1"), nointeractive=b64("1"))
    assert jsp_post(live, "/relay/sms_sender.php", body)[2] == (
        f"success,{DEMO_CREDITS - 1}".encode())
    assert "shop_order" not in live.backend.calls[-1].fields  # never forwarded


@pytest.mark.parametrize(("body", "content_type"), [
    ("\x00\x01garbage", "application/x-www-form-urlencoded"),
    ("--x\r\nnot a part", "multipart/form-data; boundary=x"),
    ("{\"user_id\": 1}", "application/json"),
    ("", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_get_a_gateway_code_not_a_500(live, body, content_type):
    live.site()
    status, _, answer = jsp_post(live, "/relay/sms_sender.php", body, content_type)
    assert (status, answer) == (200, b"-101,")
    assert live.backend.calls == [] and live.sends() == []


def test_an_oversize_body_gets_413_and_a_gateway_code_unread(tmp_path):
    backend = demo_backend_factory()
    app = relay_app(tmp_path, backend, SMSFORM_MAX_BODY_BYTES="20000")
    with serve(app) as (host, port):
        live = Live(app, backend, host, port)
        issued = live.site()
        body = jsp_send_body(issued, msg="가" * 20000)
        status, ctype, answer = jsp_post(live, "/relay/sms_sender.php", body)
    assert (status, ctype, answer) == (413, "text/html; charset=utf-8", b"-101,")
    assert backend.calls == [] and live.sends() == []


def test_a_site_past_its_rate_gets_a_gateway_answer_with_retry_after(tmp_path):
    backend = demo_backend_factory()
    app = relay_app(tmp_path, backend, RELAY_RATE_LIMIT="2 per minute")
    with serve(app) as (host, port):
        live = Live(app, backend, host, port)
        issued, other = live.site(), live.site("other")
        assert php_send(live, issued, testflag=b64("Y")).startswith(b"Test Success!")
        assert php_send(live, issued, testflag=b64("Y")).startswith(b"Test Success!")
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("POST", "/relay/sms_sender.php", body=jsp_send_body(issued),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (429, b"-203,")
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert 1 <= int(response.getheader("Retry-After")) <= 60
        conn.close()
        assert php_send(live, other, testflag=b64("Y")).startswith(b"Test Success!")  # per site
    assert len(backend.calls) == 3


def test_a_get_is_a_request_without_fields_and_its_query_is_never_read(live):
    issued = live.site()
    conn = http.client.HTTPConnection(live.host, live.port, timeout=10)
    conn.request("GET", "/relay/sms_sender.php?" + jsp_send_body(issued))
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"-101,")
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    conn.close()
    assert live.backend.calls == [] and live.sends() == []


# -- per site: remaining, senders, its own results -----------------------------------------


def test_remaining_is_the_sites_allowance_capped_by_the_real_credit(live):
    limited, unlimited = live.site("limited", daily_limit=5), live.site("open")
    php_send(live, limited)  # 2 credits

    def remain(issued: relay_sites.Issued) -> bytes:
        return exchange(live, php_request(live, "/relay/sms_remain.php", {
            "user_id": b64(issued.site.user_id), "secure": b64(issued.secure),
            "mode": b64("1")}))[1]

    assert remain(limited) == b"3"
    assert remain(unlimited) == str(DEMO_CREDITS - 2).encode()
    live.backend.accounts[DEMO_USER_ID].credits = 1
    assert remain(limited) == b"1"


def test_each_site_lists_only_its_own_sends(live):
    shop, blog = live.site("shop"), live.site("blog")
    for text in ("주문이 접수되었습니다", "배송이 시작되었습니다"):
        jsp_post(live, "/relay/sms_sender.php", jsp_send_body(shop, msg=text))
    jsp_post(live, "/relay/sms_sender.php", jsp_send_body(blog, msg="새 글이 올라왔습니다"))
    php_send(live, blog)  # two named recipients

    def listed(issued: relay_sites.Issued, **extra: str) -> dict:
        fields = {"user_id": issued.site.user_id, "secure": issued.secure, **extra}
        return page_xml(jsp_post(live, "/relay/sms_list.php", urlencode(fields))[2])

    mine = listed(shop)
    assert mine["total"] == "2"
    assert sorted(r["msg"] for r in mine["records"]) == ["배송이 시작되었습니다",
                                                        "주문이 접수되었습니다"]
    theirs = listed(blog)
    assert theirs["total"] == "3"
    assert sorted(r["msg"] for r in theirs["records"]) == [
        "새 글이 올라왔습니다", "안녕하세요 김철수님", "안녕하세요 홍길동님"]
    second = listed(blog, startNo="1", displayNo="1")
    assert second["total"] == "3" and len(second["records"]) == 1
    assert listed(shop, startNo="x")["code"] == "-101"


@pytest.mark.parametrize("total", ["²", "9" * 5000], ids=["superscript", "5000-digits"])
def test_a_list_the_gateway_answers_unreadably_is_the_gateways_server_failure(
        tmp_path, total):
    with AnsweringGateway() as gateway_answers:  # what the simulator never says
        app = relay_app(tmp_path, None, CAFE24_SMS_BASE_URL=gateway_answers.url,
                        CAFE24_SMS_USER_ID="master", CAFE24_SMS_SECURE_KEY="master-secure-key")
        with app.app_context():
            issued = relay_sites.create_site("shop", [SENDER], by=CLI_ACTOR)
        credentials = {"user_id": issued.site.user_id, "secure": issued.secure}
        client = app.test_client()
        gateway_answers.answer("/sms_sender.php", "success,999")
        sent = client.post("/relay/sms_sender.php", data={
            **credentials, "msg": "주문 확인", "rphone": TO, "sphone1": "010",
            "sphone2": "1234", "sphone3": "5678"})
        assert sent.get_data() == b"success,999"
        now = datetime.now(KST).strftime("%Y%m%d%H%M")
        gateway_answers.answer("/sms_list.php", (
            f"<result><code>0000</code><totalCnt>{total}</totalCnt><record><sendType>I"
            f"</sendType><sendPhone>{SENDER}</sendPhone><receivePhone>{TO}</receivePhone>"
            f"<msg>주문 확인</msg><sendDateTime>{now}</sendDateTime><sendStatus>3"
            "</sendStatus></record></result>"))
        listed = client.post("/relay/sms_list.php", data=credentials)
    assert (listed.status_code, listed.mimetype) == (200, "text/xml")
    assert page_xml(listed.get_data())["code"] == "-100"


def test_each_gateway_call_of_a_sites_list_counts_against_its_rate(tmp_path):
    backend = demo_backend_factory()
    app = relay_app(tmp_path, backend, RELAY_RATE_LIMIT="4 per minute")
    with app.app_context():
        issued = relay_sites.create_site("shop", [SENDER], by=CLI_ACTOR)
    credentials = {"user_id": issued.site.user_id, "secure": issued.secure}
    client = app.test_client()
    numbers = ",".join(f"010-5000-{i:04d}" for i in range(120))  # 120 rows: three calls
    sent = client.post("/relay/sms_sender.php", data={
        **credentials, "msg": "주문 확인", "rphone": numbers, "sphone1": "010",
        "sphone2": "1234", "sphone3": "5678"})
    assert sent.get_data().startswith(b"success,")  # the rate's first request
    listed = client.post("/relay/sms_list.php", data=credentials)  # 1 + 2 more calls: 4
    assert page_xml(listed.get_data())["total"] == "120"
    calls = [c for c in backend.calls if c.path == "/sms_list.php"]
    assert len(calls) == 3
    again = client.post("/relay/sms_list.php", data=credentials)
    assert (again.status_code, again.get_data()) == (429, page_xml_refusal("-203"))
    assert again.headers["Retry-After"]
    assert len([c for c in backend.calls if c.path == "/sms_list.php"]) == 3


def page_xml_refusal(code: str) -> bytes:
    from cafe24 import wire

    return wire.results_refused(code).encode()


# -- the public client, unmodified, in its own environment ---------------------------------


def venv_python(venv: Path) -> Path:
    """The Python of the environment ``venv`` that the Makefile built; fail, pointing at
    ``make test``, when it is not there (a test never builds one: that needs the package
    registry, and CI always has it through make)."""
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists() or not os.access(python, os.X_OK):
        pytest.fail(f"the public client's environment {venv} is missing: run `make test`, "
                    "which builds it from tests/relay_client/requirements.txt", pytrace=False)
    return python


@pytest.fixture(scope="session")
def client_python() -> Path:
    """The cafe24-sms-Django client's Python, in .venv/client (built by ``make test``)."""
    return venv_python(CLIENT_VENV)


def test_a_missing_client_environment_fails_and_points_at_make(tmp_path):
    with pytest.raises(pytest.fail.Exception, match=r"run `make test`") as failed:
        venv_python(tmp_path / "client")
    assert str(tmp_path / "client") in str(failed.value)
    assert not (tmp_path / "client").exists()  # nothing was built


def drive(client_python: Path, live: Live, issued: relay_sites.Issued, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAFE24_", "DJANGO_"))}
    done = subprocess.run(
        [str(client_python), str(CLIENT_DIR / "drive.py"), live.base, issued.site.user_id,
         issued.secure, SENDER, *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=CLIENT_DIR)
    assert done.returncode == 0, done.stderr
    assert DEMO_SECURE_KEY not in done.stdout
    return json.loads(done.stdout)


@pytest.mark.slow  # runs the public client in its own environment, a process per call
def test_the_public_django_client_sends_reserves_and_lists_through_the_relay(live,
                                                                           client_python):
    issued = live.site("django-shop")

    sent = drive(client_python, live, issued, "send", "장고에서 보냅니다", TO, "010-3333-4444")
    assert sent == {"code": "success", "remaining": str(DEMO_CREDITS - 2)}
    reserved = drive(client_python, live, issued, "reserve", "예약 문자", TO)
    assert reserved == {"code": "reserved", "remaining": str(DEMO_CREDITS - 3)}
    listed = drive(client_python, live, issued, "results")
    assert listed["total"] == "3"
    assert sorted((r["receive_number"], r["message"]) for r in listed["records"]) == [
        ("010-2222-3333", "예약 문자"), ("010-2222-3333", "장고에서 보냅니다"),
        ("010-3333-4444", "장고에서 보냅니다")]

    rows = live.sends()
    assert [(r.source, r.actor, r.result) for r in rows] == [
        ("relay", "django-shop", "success"), ("relay", "django-shop", "reserved")]
    assert rows[0].text == "장고에서 보냅니다"  # EUC-KR bytes, plain mode, read right


@pytest.mark.slow
def test_the_public_django_client_sees_the_relays_refusals(live, client_python):
    issued = live.site("django-shop", senders=("02-123-4567",))
    refused = drive(client_python, live, issued, "send", "안녕", TO)
    assert refused == {"error": "ReceivedErrorResponse", "code": "-114",
                       "message": "등록/인증되지 않은 발신번호"}
    wrong = relay_sites.Issued(issued.site, "not-the-key")
    assert drive(client_python, live, wrong, "send", "안녕", TO)["code"] == "-102"
    assert live.backend.calls == []


# -- issuing credentials: the CLI and the admin page ---------------------------------------


def test_relay_create_json_prints_exactly_the_id_and_key_once(app, runner):
    result = runner.invoke(args=["relay", "create", "shop", "--sender", SENDER,
                                 "--sender", "02-123-4567", "--daily-limit", "100",
                                 "--allow-ip", "203.0.113.0/24", "--test-only", "--json"])
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert sorted(issued) == ["secure", "user_id"]
    assert issued["user_id"].startswith("relay-") and len(issued["user_id"]) == 14
    with app.app_context():
        row = db.session.execute(db.select(RelaySite)).scalar_one()
        assert (row.name, row.daily_limit, row.test_only) == ("shop", 100, True)
        assert json.loads(row.senders) == [SENDER, "02-123-4567"]
        assert issued["secure"] not in json.dumps([str(v) for v in row.__dict__.values()])
        [event] = db.session.execute(db.select(AuditEvent).filter_by(
            action="relay_created")).scalars()
        assert (event.actor, event.target) == ("cli", "shop")
        assert issued["secure"] not in (event.detail or "")
        site = relay_gate.authenticate(issued["user_id"], issued["secure"], "203.0.113.9")
        assert isinstance(site, relay_sites.Site) and site.name == "shop"
        assert relay_gate.authenticate(issued["user_id"], issued["secure"],
                                  "198.51.100.1") is relay_gate.Denial.ADDRESS


def test_relay_list_and_disable(app, runner):
    runner.invoke(args=["relay", "create", "shop", "--sender", SENDER])
    assert runner.invoke(args=["relay", "disable", "shop"]).output == "disabled shop\n"
    assert runner.invoke(args=["relay", "disable", "shop"]).output == (
        "shop was already disabled\n")
    lines = runner.invoke(args=["relay", "list"]).output.splitlines()
    assert lines[1].split("\t")[:5] == ["shop", lines[1].split("\t")[1], "disabled", SENDER, "-"]
    result = runner.invoke(args=["relay", "disable", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output
    with app.app_context():
        assert [e.action for e in db.session.execute(db.select(AuditEvent).order_by(
            AuditEvent.id)).scalars()] == ["relay_created", "relay_disabled"]


@pytest.mark.parametrize(("args", "problem", "exit_code"), [
    (["--sender", "12"], "12", 1),
    (["--sender", SENDER, "--allow-ip", "not-a-net"], "not-a-net", 1),
    (["--sender", SENDER, "--daily-limit", "0"], "10,000,000", 2),  # an option out of range
])
def test_relay_create_refuses_bad_input_and_writes_nothing(app, runner, args, problem,
                                                           exit_code):
    result = runner.invoke(args=["relay", "create", "shop", *args])
    assert result.exit_code == exit_code and problem in result.output
    with app.app_context():
        assert db.session.execute(db.select(RelaySite)).first() is None


def test_a_name_is_taken_once(app):
    with app.app_context():
        relay_sites.create_site("Shop", [SENDER], by=CLI_ACTOR)
        with pytest.raises(relay_sites.RelayError) as caught:
            relay_sites.create_site("shop", [SENDER], by=CLI_ACTOR)
    assert caught.value.code == "name_taken"


def test_the_admin_page_shows_the_key_once_and_disables(app, admin_client):
    answer = admin_client.post("/admin/relays", data={
        "name": "쇼핑몰", "senders": f"{SENDER}\n02-123-4567", "daily_limit": "500",
        "allow_ips": "", "charset": "auto"})
    assert answer.status_code == 200
    soup = page(answer)
    user_id = soup.select_one("#issued-user-id").get_text()
    secure = soup.select_one("#issued-secure").get_text()
    with app.app_context():
        assert isinstance(relay_gate.authenticate(user_id, secure, "127.0.0.1"), relay_sites.Site)

    listing = admin_client.get("/admin/relays")
    assert secure not in listing.get_data(as_text=True)
    row = page(listing).select_one('#relay-sites tr[data-name="쇼핑몰"]')
    assert row.select_one(".daily-limit").get_text(strip=True) == "500"

    admin_client.post(f"/admin/relays/{quote('쇼핑몰')}/disable")
    row = page(admin_client.get("/admin/relays")).select_one('#relay-sites tr[data-name="쇼핑몰"]')
    assert "disabled" in row["class"]
    with app.app_context():
        assert relay_gate.authenticate(user_id, secure, "127.0.0.1") is relay_gate.Denial.AUTH


def test_the_admin_page_shows_a_refusal_beside_its_field(admin_client):
    answer = admin_client.post("/admin/relays", data={"name": "shop", "senders": "abc",
                                                      "charset": "auto"})
    assert answer.status_code == 400
    assert page(answer).select_one("#senders-error") is not None
    assert page(answer).select_one("#issued") is None


def test_the_wire_and_the_admin_pages_are_two_blueprints_at_the_same_urls(csrf_app):
    rules = {rule.rule: rule.endpoint for rule in csrf_app.url_map.iter_rules()
             if "relay" in rule.rule}
    assert rules == {
        "/relay/sms_sender.php": "relay.send", "/relay/sms_remain.php": "relay.remain",
        "/relay/smsSenderPhone.php": "relay.senders", "/relay/sms_list.php": "relay.results",
        "/admin/relays": "relay_sites.index",
        "/admin/relays/<path:name>/disable": "relay_sites.disable"}
    client = sign_in(csrf_app)
    # The wire needs no CSRF token (the whole blueprint is exempt); the admin pages do.
    for path in ("/relay/sms_sender.php", "/relay/sms_remain.php",
                 "/relay/smsSenderPhone.php", "/relay/sms_list.php"):
        answer = client.post(path, data={"user_id": "relay-x", "secure": "wrong"})
        assert answer.status_code == 200, path  # the gateway's own refusal, not a 400
    assert client.post("/admin/relays", data={"name": "shop", "senders": SENDER,
                                              "charset": "auto"}).status_code == 400
    assert client.post("/admin/relays/shop/disable").status_code == 400


def test_only_administrators_manage_relays(app, client):
    assert sign_in(app, "sender").get("/admin/relays").status_code == 403
    assert sign_in(app, "viewer").post("/admin/relays", data={
        "name": "x", "senders": SENDER}).status_code == 403
    make_user(app, *ADMIN, role="admin")
    assert client.get("/admin/relays").status_code == 302  # to sign in


def test_concurrent_sends_never_spend_past_the_daily_limit(live):
    issued = live.site(daily_limit=2)  # one PHP-sample send (two recipients) fits
    start = threading.Barrier(12)

    def send_at_once() -> bytes:
        start.wait()
        return php_send(live, issued)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: send_at_once(), range(12)))
    accepted = [a for a in answers if a.startswith(b"success")]
    assert len(accepted) <= 1 and all(a.startswith((b"success", b"-201")) for a in answers)
    spent = sum(row.cost for row in live.sends() if row.result in ("success", "pending"))
    assert spent <= 2
    assert live.backend.accounts[DEMO_USER_ID].credits >= DEMO_CREDITS - 2


def test_a_list_date_at_the_calendars_edge_is_an_empty_list_not_a_500(live):
    issued = live.site()
    fields = {"user_id": issued.site.user_id, "secure": issued.secure, "date": "00010101",
              "day": "7"}
    status, _ctype, body = jsp_post(live, "/relay/sms_list.php", urlencode(fields))
    assert status == 200
    assert page_xml(body)["total"] == "0"


def test_an_admission_never_counts_on_ids_being_in_commit_order_where_they_are_not(
        db_url, tmp_path):
    """Two sends of a site whose limit fits one, both logged: on SQLite (writers take turns,
    ids in commit order) the first logged is admitted; on PostgreSQL the later id may have
    committed and been admitted first, so every committed send counts."""
    app = build_app(demo_backend_factory(), SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        issued = relay_sites.create_site("shop", ["010-1234-5678"], daily_limit=2, by=CLI_ACTOR)
        rows = [Send(actor="shop", source=relay_sites.SOURCE, sender="010-1234-5678", kind="S",
                     text="t", recipients="[]", recipient_count=2, forecast=2, test=False,
                     result="pending") for _ in range(2)]
        db.session.add_all(rows)
        db.session.commit()
        first = rows[0].id
        counted = relay_sites.used_today(issued.site, through=first)
        dialect = db.engine.dialect.name
    assert counted == (2 if dialect == "sqlite" else 4)


def test_a_browser_session_that_must_change_its_password_is_no_matter_to_the_relay(tmp_path):
    backend = demo_backend_factory()
    app = relay_app(tmp_path, backend, WTF_CSRF_ENABLED=False)
    with app.app_context():
        issued = relay_sites.create_site("shop", [SENDER], by=CLI_ACTOR)
    browser = sign_in(app, "admin", "kim")  # the same browser holds a staff session
    with app.app_context():
        db.session.execute(update(User).where(User.username == "kim")
                           .values(must_change_password=True))
        db.session.commit()
    assert browser.get("/sends").status_code == 302  # the pages lead to /account
    sent = browser.post("/relay/sms_sender.php", data={
        "user_id": issued.site.user_id, "secure": issued.secure, "msg": "주문 확인",
        "rphone": TO, "sphone1": "010", "sphone2": "1234", "sphone3": "5678"})
    assert (sent.status_code, sent.get_data()[:8]) == (200, b"success,")
    assert "Set-Cookie" not in sent.headers  # the relay neither reads nor writes a session
