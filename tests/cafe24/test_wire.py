"""The gateway's wire as a server reads and writes it (cafe24.wire): the one parser the
simulator and the relay share, the answer writers, and problems as gateway codes."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest

from cafe24 import wire
from cafe24.calls import SendRequest
from cafe24.schedule import KST
from cafe24.text import PROBLEM_CODES
from simulator import DEMO_SECURE_KEY, DEMO_USER_ID, demo_backend
from simulator.exceptions import Refusal
from tests.cafe24.problem_examples import examples

SLOPPY = "---------------------abc123"


def b64(value: str, charset: str = "utf-8") -> str:
    return base64.b64encode(value.encode(charset)).decode("ascii")


def php_multipart(fields: dict[str, str]) -> bytes:
    """The PHP sample's body: an extra boundary line after each part, no closing one."""
    return "".join(f'--{SLOPPY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   f"--{SLOPPY}\r\n" for k, v in fields.items()).encode("ascii")


# -- reading ---------------------------------------------------------------------------


def test_the_php_samples_sloppy_multipart_in_base64_mode():
    body = php_multipart({"user_id": b64("shop"), "secure": b64("key"), "msg": b64("안녕"),
                          "destination": b64("010-2222-3333|홍길동").translate(
                              str.maketrans("+/", "-,")), "mode": b64("1")})

    read = wire.parse_request("/sms_sender.php/", body,
                              f"multipart/form-data, boundary={SLOPPY}")

    assert (read.path, read.route, read.base64_mode, read.charset) == (
        "/sms_sender.php", wire.SEND, True, "auto")
    assert read.fields == {"user_id": "shop", "secure": "key", "msg": "안녕",
                           "destination": "010-2222-3333|홍길동", "mode": "1"}
    assert read.raw_fields["msg"] == b64("안녕").encode()
    assert (read.user_id, read.secret, read.undecodable) == ("shop", "key", ())


def test_a_well_formed_multipart_with_a_quoted_boundary_and_a_closing_line():
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="msg"\r\n\r\nhi\r\n--XyZ--\r\n')
    read = wire.parse_request("/sms_sender.php", body, 'multipart/form-data; boundary="XyZ"')
    assert read.fields == {"msg": "hi"} and not read.base64_mode


def test_plain_euckr_urlencoded_fields_read_by_the_accounts_charset():
    body = urlencode({"user_id": "shop", "msg": "창문"}, encoding="euc-kr").encode("ascii")
    asked = []

    def charset_of(user_id: str) -> str:
        asked.append(user_id)
        return "euc-kr"

    read = wire.parse_request("/sms_sender.php", body, "application/x-www-form-urlencoded",
                              charset=charset_of)
    assert asked == ["shop"]
    assert (read.fields["msg"], read.charset, read.base64_mode) == ("창문", "euc-kr", False)


def test_bytes_that_do_not_decode_are_marked_and_coded():
    body = urlencode({"user_id": b64("shop"), "msg": "%%%", "sphone1": b64("010"),
                      "mode": "MQ"}).encode()
    read = wire.parse_request("/sms_sender.php", body, "application/x-www-form-urlencoded")
    assert read.undecodable == ("msg",)
    assert wire.undecodable_code(read.fields) == "3203"
    assert wire.undecodable_code({"sphone1": wire.UNDECODABLE}) == "-101"
    assert wire.undecodable_code({"msg": "ok"}) is None


def test_only_send_and_remain_know_base64_mode_and_the_sender_list_reads_its_own_names():
    body = urlencode({"userId": "shop", "passwd": "k", "mode": b64("1")}).encode()
    read = wire.parse_request("/smsSenderPhone.php", body, "application/x-www-form-urlencoded")
    assert (read.route, read.base64_mode, read.user_id, read.secret) == (
        wire.SENDERS, False, "shop", "k")


def test_the_query_string_fills_only_names_the_body_lacks():
    read = wire.parse_request("/sms_list.php", b"user_id=a", "application/x-www-form-urlencoded",
                              "user_id=b&day=2")
    assert read.fields == {"user_id": "a", "day": "2"}


def test_other_paths_are_not_the_gateways():
    assert wire.route_of("/sms_remain.php/") == wire.REMAIN
    assert wire.route_of("/relay/sms_remain.php") is None
    with pytest.raises(ValueError, match="not a gateway path"):
        wire.parse_request("/index.php", b"", "")


# -- writing ---------------------------------------------------------------------------


def test_send_answers_always_carry_the_comma():
    assert wire.send_accepted(9) == "success,9"
    assert wire.send_accepted(0, reserved=True) == "reserved,0"
    assert wire.send_accepted(5, reserved=True, test=True) == "Test Success!,5"
    assert wire.send_accepted(None) == "success,"
    assert wire.send_refused("-102") == "-102,"
    assert wire.send_refused("-201", 3) == "-201,3"


def test_refusals_in_each_paths_own_format():
    assert wire.refusal_answer(wire.SEND, "-203") == "-203,"
    assert wire.refusal_answer(wire.REMAIN, "-102") == "-102"
    assert wire.refusal_answer(wire.SENDERS, "-102") == (
        '{"result": "Fail", "message": "authentication failed"}')
    assert wire.refusal_answer(wire.SENDERS, "-100") == (
        '{"result": "Fail", "message": "refused (-100)"}')
    assert wire.refusal_answer(wire.RESULTS, "-101") == "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>', "<result>", "<code>-101</code>",
        "<totalCnt>0</totalCnt>", "</result>"])
    assert set(wire.CONTENT_TYPES) == set(wire.ROUTES.values())


def test_results_xml_escapes_every_value():
    record = wire.ListRecord("I", "010-1234-5678", "010-2222-3333", "<b>", "a & b",
                             "202405011234", "9", "3208", "2024-05-01 12:35:00")
    assert wire.results_answer(1, [record]).splitlines()[4] == (
        "<record><sendType>I</sendType><sendPhone>010-1234-5678</sendPhone>"
        "<receivePhone>010-2222-3333</receivePhone><subject>&lt;b&gt;</subject>"
        "<msg>a &amp; b</msg><sendDateTime>202405011234</sendDateTime>"
        "<sendStatus>9</sendStatus><resultCode>3208</resultCode>"
        "<refundDate>2024-05-01 12:35:00</refundDate></record>")


# -- a library problem as the gateway's code --------------------------------------------


def test_every_problem_code_has_a_gateway_code():
    assert set(wire.PROBLEM_GATEWAY_CODES) == set(PROBLEM_CODES)
    assert set(wire.PROBLEM_GATEWAY_CODES.values()) <= set(wire.GATEWAY_CHECK_ORDER)
    assert {wire.problems_code([p.code]) for p in examples()} <= set(wire.GATEWAY_CHECK_ORDER)


def test_of_several_problems_the_gateways_first_check_wins():
    assert wire.problems_code(["msg_too_long", "invalid_sender", "msg_empty"]) == "-101"
    assert wire.problems_code(["reservation_too_soon", "refused_char"]) == "-202"
    assert wire.problems_code([]) == "-101"
    assert wire.problems_code(["a_code_from_the_future"]) == "-101"


NOW = datetime.now(KST).replace(microsecond=0)
THOUSAND = tuple(f"010-{1000 + i // 10000:04d}-{i % 10000:04d}" for i in range(1000))


@pytest.mark.parametrize("request_", [
    SendRequest("", "010-1234-5678", ("010-2222-3333",)),
    SendRequest("hi", "", ("010-2222-3333",)),
    SendRequest("hi", "12-34", ("010-2222-3333",)),
    SendRequest("hi", "010-1234-5678", ()),
    SendRequest("됬다", "010-1234-5678", ("010-2222-3333",)),
    SendRequest("hi", "010-1234-5678", THOUSAND),
    SendRequest("가" * 1001, "010-1234-5678", ("010-2222-3333",), lms=True),
    SendRequest("hi", "010-1234-5678", ("010-2222-3333",), reserve_at=NOW + timedelta(minutes=2)),
    SendRequest("hi", "010-1234-5678", ("010-2222-3333",), repeat_num=11, repeat_minutes=20),
], ids=["msg", "no-sender", "bad-sender", "no-recipients", "refused-char", "too-many",
        "too-long", "too-soon", "repeat"])
def test_the_table_gives_the_code_the_simulated_gateway_gives(request_):
    """Where the gateway has the rule, the table agrees with the simulator's answer."""
    table = wire.problems_code(p.code for p in request_.problems())
    backend = demo_backend()
    with pytest.raises(Refusal) as refused:
        backend.send({**request_.fields(), "user_id": DEMO_USER_ID, "secure": DEMO_SECURE_KEY})
    assert table == refused.value.code
