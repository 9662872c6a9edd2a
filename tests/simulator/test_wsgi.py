"""The wire the simulator writes from typed results, and the paths through SimulatorApp."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from urllib.parse import urlencode

import pytest

from cafe24.schedule import KST
from simulator import DEMO_CREDITS, DEMO_SECURE_KEY, DEMO_USER_ID, SimulatorApp, wsgi
from simulator.backend import GatewayBackend, ListedMessage, ListPage, SendAccepted
from simulator.exceptions import MessageUndecodable, MissingField
from simulator.transport import DropConnection


@pytest.mark.parametrize(("accepted", "answer"), [
    (SendAccepted(999), "success,999"),
    (SendAccepted(0, reserved=True), "reserved,0"),
    (SendAccepted(1000, test=True), "Test Success!,1000"),
    (SendAccepted(1000, reserved=True, test=True), "Test Success!,1000"),
])
def test_send_answers(accepted, answer):
    assert wsgi.send_answer(accepted) == answer


def test_remain_and_senders_answers():
    assert wsgi.remain_answer(0) == "0"
    assert wsgi.senders_answer([]) == '{"result": "Success", "list": []}'


def test_results_xml_escapes_text_and_shows_codes_of_failures_only():
    due = datetime(2024, 5, 1, 12, 34, 56, tzinfo=KST)
    rows = (
        ListedMessage("I", "010-1234-5678", "010-2222-3333", "", "a < b & c", due, "3", "", ""),
        ListedMessage("R", "02-123-4567", "010-1111-0000", "제목 <1>", "실패", due, "9", "204",
                      "2024-05-01 12:35:00"),
    )
    assert wsgi.results_answer(ListPage(7, rows)) == "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>', "<result>", "<code>0000</code>",
        "<totalCnt>7</totalCnt>",
        "<record><sendType>I</sendType><sendPhone>010-1234-5678</sendPhone>"
        "<receivePhone>010-2222-3333</receivePhone><subject></subject>"
        "<msg>a &lt; b &amp; c</msg><sendDateTime>202405011234</sendDateTime>"
        "<sendStatus>3</sendStatus><resultCode></resultCode><refundDate></refundDate></record>",
        "<record><sendType>R</sendType><sendPhone>02-123-4567</sendPhone>"
        "<receivePhone>010-1111-0000</receivePhone><subject>제목 &lt;1&gt;</subject>"
        "<msg>실패</msg><sendDateTime>202405011234</sendDateTime>"
        "<sendStatus>9</sendStatus><resultCode>204</resultCode>"
        "<refundDate>2024-05-01 12:35:00</refundDate></record>",
        "</result>"])


@pytest.mark.parametrize(("fields", "refusal"), [
    ({"msg": wsgi.UNDECODABLE, "rphone": wsgi.UNDECODABLE}, MessageUndecodable),
    ({"msg": "hi", "subject": wsgi.UNDECODABLE}, MessageUndecodable),
    ({"msg": "hi", "rphone": wsgi.UNDECODABLE}, MissingField),
    ({"msg": "hi", "rphone": "010-2222-3333"}, None),
])
def test_undecodable_fields_are_refused_on_the_wire(fields, refusal):
    found = wsgi.undecodable_refusal(fields)
    assert type(found) is refusal if refusal else found is None


def call(app: SimulatorApp, path: str, body: str) -> tuple[str, str, bytes]:
    """Run the WSGI app on a url-encoded POST; return status, content type and body."""
    raw = body.encode("ascii")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(raw)), "wsgi.input": io.BytesIO(raw)}
    started = {}

    def start_response(status, headers):
        started.update(status=status, headers=dict(headers))

    content = b"".join(app(environ, start_response))
    return started["status"], started["headers"]["Content-Type"], content


CREDENTIALS = f"user_id={DEMO_USER_ID}&secure={DEMO_SECURE_KEY}"


@pytest.mark.parametrize(("path", "body", "ctype", "answer"), [
    ("/sms_remain.php", CREDENTIALS, "text/html; charset=utf-8", b"1000"),
    ("/sms_remain.php", "user_id=demo&secure=x", "text/html; charset=utf-8", b"-102"),
    ("/smsSenderPhone.php", f"userId={DEMO_USER_ID}&passwd=x", "application/json; charset=utf-8",
     b'{"result": "Fail", "message": "authentication failed"}'),
    ("/sms_sender.php", CREDENTIALS, "text/html; charset=utf-8", b"-101,1000"),
    ("/sms_sender.php", "user_id=demo", "text/html; charset=utf-8", b"-101,"),
    ("/sms_list.php", CREDENTIALS + "&startNo=x", "text/xml; charset=utf-8",
     b'<?xml version="1.0" encoding="UTF-8"?>\n<result>\n<code>-101</code>\n'
     b"<totalCnt>0</totalCnt>\n</result>"),
])
def test_each_path_renders_its_refusals_and_records_the_answer(demo_backend, path, body, ctype,
                                                                answer):
    status, content_type, content = call(SimulatorApp(demo_backend), path, body)
    assert (status, content_type, content) == ("200 OK", ctype, answer)
    assert demo_backend.calls[-1].answer == answer.decode()


def test_a_lost_answer_still_applies_a_refused_send(demo_backend):
    demo_backend.inject("lost")
    with pytest.raises(DropConnection):
        call(SimulatorApp(demo_backend), "/sms_sender.php", CREDENTIALS)
    assert demo_backend.accounts[DEMO_USER_ID].credits == DEMO_CREDITS


def test_a_backend_answer_given_as_text_goes_out_as_it_is(clock):
    """A scripted backend (the app's tests) answers what the rules never give."""

    class Scripted(GatewayBackend):
        def send(self, f):
            return "7777"

    backend = Scripted(clock=clock)
    assert call(SimulatorApp(backend), "/sms_sender.php", "msg=x")[2] == b"7777"


# -- the charset of an account (the contract's auto, utf-8 and euc-kr) -----------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _send_body(msg: bytes, subject: bytes = b"", base64_mode: bool = True) -> str:
    fields = {"user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY, "msg": msg,
              "rphone": "010-2222-3333", "sphone1": "010", "sphone2": "1234",
              "sphone3": "5678", "smsType": "L" if subject else "S", "subject": subject}
    if base64_mode:
        encoded = {k: _b64(v if isinstance(v, bytes) else v.encode()) for k, v in
                   fields.items()}
        return urlencode({**encoded, "mode": _b64(b"1")})
    return urlencode(fields, encoding="latin-1")


@pytest.mark.parametrize("base64_mode", [True, False])
def test_auto_reads_euckr_text_whose_bytes_are_also_utf8(demo_backend, clock, base64_mode):
    call(SimulatorApp(demo_backend), "/sms_sender.php",
         _send_body("창문".encode("cp949"), base64_mode=base64_mode))
    assert demo_backend.calls[-1].fields["msg"] == "창문"
    assert demo_backend.messages[-1].msg == "창문"


@pytest.mark.parametrize(("charset", "raw", "text"), [
    ("utf-8", "¡ok".encode(), "¡ok"),  # auto would take it for CP949 (징ok)
    ("euc-kr", "창".encode("cp949"), "창"),
    ("auto", "¡ok".encode(), "징ok"),
])
def test_an_accounts_charset_decides_how_its_fields_are_read(demo_backend, charset, raw, text):
    demo_backend.accounts[DEMO_USER_ID].charset = charset
    call(SimulatorApp(demo_backend), "/sms_sender.php", _send_body(raw))
    assert demo_backend.calls[-1].fields["msg"] == text


@pytest.mark.parametrize(("msg", "subject"), [
    ("안녕".encode("cp949"), b""),  # CP949 bytes to a utf-8 account
    (b"ok", "제목".encode("cp949")),
])
def test_bytes_that_do_not_decode_in_the_charset_are_refused_with_3203(demo_backend, msg,
                                                                        subject):
    demo_backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, ["010-1234-5678"], DEMO_CREDITS,
                             charset="utf-8")
    assert call(SimulatorApp(demo_backend), "/sms_sender.php",
                _send_body(msg, subject))[2] == b"3203,"
    assert demo_backend.messages == []


def test_unknown_charset_is_refused_when_the_account_is_made(demo_backend):
    with pytest.raises(ValueError, match="unsupported charset"):
        demo_backend.add_account("x", "k", [], 1, charset="latin-1")


def test_the_echo_fault_answers_the_request_body(demo_backend):
    demo_backend.inject("echo")
    body = _send_body(b"hi")
    status, _, content = call(SimulatorApp(demo_backend), "/sms_sender.php", body)
    assert (status, content) == ("200 OK", body.encode("ascii"))
    assert demo_backend.messages == []  # nothing was sent
