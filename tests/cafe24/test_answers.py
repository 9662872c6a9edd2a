"""Parsing what the gateway answers: send, remaining credit, sender list, results XML."""

from __future__ import annotations

import pytest

from cafe24.answers import (
    ROW_SEND_TYPES,
    ROW_STATUSES,
    SendStatus,
    parse_remaining,
    parse_results,
    parse_send_answer,
    parse_senders,
)
from cafe24.errors import GatewayRefused, UnreadableResponse

# -- sms_sender.php ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code", "remaining"),
    [
        ("success,998", SendStatus.SUCCESS, "success", 998),
        ("success", SendStatus.SUCCESS, "success", None),
        ("success,", SendStatus.SUCCESS, "success", None),
        (" success , 12 \r\n", SendStatus.SUCCESS, "success", 12),
        ("reserved,40", SendStatus.RESERVED, "reserved", 40),
        ("reserved", SendStatus.RESERVED, "reserved", None),
        ("Test Success!,7", SendStatus.TEST, "test", 7),
        ("Test Success!", SendStatus.TEST, "test", None),
        ("-102,", SendStatus.REFUSED, "-102", None),
        ("-102", SendStatus.REFUSED, "-102", None),
        ("-114,55", SendStatus.REFUSED, "-114", 55),
        ("0044,3", SendStatus.REFUSED, "0044", 3),
        ("3202", SendStatus.REFUSED, "3202", None),
    ],
)
def test_send_answers_with_and_without_remaining(body, status, code, remaining):
    outcome = parse_send_answer(body)
    assert (outcome.status, outcome.code, outcome.remaining) == (status, code, remaining)
    assert outcome.raw == body
    assert outcome.error is None
    assert outcome.info is not None and outcome.info.known
    assert outcome.ok is (status is not SendStatus.REFUSED)


@pytest.mark.parametrize("body", ["-999,5", "7777", "-1"])
def test_unknown_send_code_is_a_refusal_marked_unknown(body):
    outcome = parse_send_answer(body)
    assert outcome.status is SendStatus.REFUSED
    assert outcome.info is not None and outcome.info.known is False
    assert outcome.code in outcome.info.text("en")
    assert "Cafe24 support" in outcome.info.text("en")


@pytest.mark.parametrize("body", ["", "<html>maintenance</html>", "\x00\ufffdgarbage",
                                  "OK", "succes,1"])
def test_unreadable_send_answer_means_outcome_unknown(body):
    outcome = parse_send_answer(body)
    assert outcome.status is SendStatus.UNKNOWN
    assert isinstance(outcome.error, UnreadableResponse)
    assert outcome.error.outcome_unknown
    assert not outcome.ok
    assert outcome.info is None and outcome.code is None


# -- sms_remain.php -------------------------------------------------------------------


@pytest.mark.parametrize(("body", "credits"), [("998", 998), ("  12\r\n", 12), ("0", 0)])
def test_remaining_is_a_bare_integer(body, credits):
    assert parse_remaining(body) == credits


@pytest.mark.parametrize(("body", "code"), [("-102", "-102"), ("-101,", "-101"),
                                            ("-100,0", "-100"), ("-555", "-555")])
def test_remaining_error_codes_are_refusals(body, code):
    with pytest.raises(GatewayRefused) as caught:
        parse_remaining(body)
    assert caught.value.code == code


@pytest.mark.parametrize("body", ["", "<html>maintenance</html>", "twelve", "12 credits"])
def test_unreadable_remaining(body):
    with pytest.raises(UnreadableResponse):
        parse_remaining(body)


# -- smsSenderPhone.php -------------------------------------------------------------


@pytest.mark.parametrize("tail", ["99999999999999999999", "2147483648", "1" * 5000])
def test_a_credit_no_account_has_is_read_as_not_said(tail):
    outcome = parse_send_answer(f"success,{tail}")
    assert (outcome.status, outcome.code, outcome.remaining) == (SendStatus.SUCCESS, "success",
                                                                  None)
    with pytest.raises(UnreadableResponse):
        parse_remaining(tail)
    assert parse_send_answer("success,2147483647").remaining == 2**31 - 1


def test_sender_list():
    body = '{"result":"Success","list":["010-1234-5678"," 02-123-4567 ",""]}'
    assert parse_senders(body) == ["010-1234-5678", "02-123-4567"]


def test_sender_list_may_be_empty():
    assert parse_senders('{"result":"Success","list":[]}') == []
    assert parse_senders('{"result":"success"}') == []


@pytest.mark.parametrize(("body", "code"), [('{"result":"Fail"}', "Fail"),
                                            ('{"list":[]}', "empty"),
                                            ('{"result":"-102"}', "-102")])
def test_sender_list_other_result_is_a_refusal(body, code):
    with pytest.raises(GatewayRefused) as caught:
        parse_senders(body)
    assert caught.value.code == code


@pytest.mark.parametrize("body", ["<html>500</html>", "[1,2]", '{"result":"Success","list":"x"}'])
def test_unreadable_sender_list(body):
    with pytest.raises(UnreadableResponse):
        parse_senders(body)


# -- sms_list.php ------------------------------------------------------------------

RECORD = (
    "<sendType>I</sendType><sendPhone>010-1234-5678</sendPhone>"
    "<receivePhone>010-2222-3333</receivePhone><msg>안녕 &amp; 잘가</msg>"
    "<sendDateTime>202405011230</sendDateTime><sendStatus>9</sendStatus>"
    "<refundDate>2024-05-01 12:30:03</refundDate>"
)


def _check_row(page):
    (row,) = page.rows
    assert row.send_type == "I"
    assert row.send_phone == "010-1234-5678"
    assert row.receive_phone == "010-2222-3333"
    assert row.msg == "안녕 & 잘가"
    assert row.sent_at_raw == "202405011230"
    assert row.status == "9" and row.status in ROW_STATUSES
    assert row.send_type in ROW_SEND_TYPES
    assert row.refund_date == "2024-05-01 12:30:03"


@pytest.mark.parametrize(
    "document",
    [
        # The layout the working client reads.
        f"<result><code>0000</code><totalCnt>1</totalCnt><record>{RECORD}</record></result>",
        # result_code instead of code, rows under wrappers, unknown elements around.
        f"<response><result_code>0000</result_code><totalCnt>1</totalCnt><meta><v>2</v></meta>"
        f"<list><items><item><seq>17</seq>{RECORD}</item></items></list></response>",
        # Everything one level deeper, and the code after the rows.
        f"<xml><body><row>{RECORD}</row></body><head><code>0000</code>"
        f"<totalCnt>1</totalCnt></head></xml>",
        # Namespaced.
        f'<r:result xmlns:r="urn:x"><r:code>0000</r:code><r:totalCnt>1</r:totalCnt>'
        f'<r:record>{RECORD}</r:record></r:result>',
    ],
    ids=["record", "wrappers", "nested", "namespaced"],
)
def test_results_are_parsed_by_name_at_any_depth(document):
    page = parse_results(('<?xml version="1.0" encoding="UTF-8"?>' + document).encode())
    assert page.code == "0000"
    assert page.total == 1
    assert page.info.known
    _check_row(page)


def test_results_keep_unknown_row_children_as_extra():
    page = parse_results(f"<result><code>0000</code><record>{RECORD}<resultCode>3208</resultCode>"
                         "</record></result>")
    assert page.rows[0].extra == {"resultCode": "3208"}
    assert page.total == 1  # no totalCnt: the rows counted


def test_result_code_under_a_wrapper_wins_over_a_code_inside_a_row():
    document = (f"<response><header><result_code>0000</result_code></header>"
                f"<list><item>{RECORD}<code>3208</code></item></list></response>")
    page = parse_results(document)
    assert page.code == "0000"
    assert len(page.rows) == 1


@pytest.mark.parametrize("total", ["²", "٣", "-1", "1.5", "1e3", "9" * 5000, "9" * 13],
                         ids=["superscript", "arabic-indic", "negative", "decimal", "exponent",
                              "5000-digits", "13-digits"])
def test_a_total_that_is_not_a_count_makes_the_answer_unreadable(total):
    with pytest.raises(UnreadableResponse):
        parse_results(f"<result><code>0000</code><totalCnt>{total}</totalCnt>"
                      f"<record>{RECORD}</record></result>")


@pytest.mark.parametrize("element", ["", "<totalCnt></totalCnt>", "<totalCnt> </totalCnt>"])
def test_a_missing_or_empty_total_counts_the_rows(element):
    page = parse_results(f"<result><code>0000</code>{element}<record>{RECORD}</record></result>")
    assert page.total == 1


def test_results_without_rows():
    page = parse_results("<result><code>0000</code><totalCnt>0</totalCnt></result>")
    assert (page.code, page.total, page.rows) == ("0000", 0, [])


@pytest.mark.parametrize(("code", "tag"), [("-101", "code"), ("-102", "code"),
                                           ("-102", "result_code"), ("-999", "code")])
def test_results_failure_codes_raise(code, tag):
    with pytest.raises(GatewayRefused) as caught:
        parse_results(f"<result><{tag}>{code}</{tag}><totalCnt>0</totalCnt></result>")
    assert caught.value.code == code


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<result><code>0000</code><record><msg>&lol3;</msg><sendType>I</sendType></record></result>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<result><code>0000</code><record><msg>&xxe;</msg><sendType>I</sendType></record></result>"""

# No entity at all: the gateway writes no declaration, so none is read.
DOCUMENT_TYPE = """<?xml version="1.0"?>
<!DOCTYPE result SYSTEM "http://127.0.0.1:9/result.dtd">
<result><code>0000</code><record><msg>x</msg><sendType>I</sendType></record></result>"""


@pytest.mark.parametrize(
    "document",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, DOCUMENT_TYPE, BILLION_LAUGHS.encode("utf-16"), "",
     "<result><code>0000</code>", b"\x00\xffgarbage", "<html>maintenance</html>",
     "<result><totalCnt>3</totalCnt></result>", "<result><code>0000</code>&nbsp;</result>"],
    ids=["billion-laughs", "external-entity", "document-type", "utf-16", "empty", "truncated",
         "garbage", "html", "no-code", "undefined-entity"],
)
def test_unreadable_or_hostile_results_are_refused(document):
    with pytest.raises(UnreadableResponse):
        parse_results(document)


@pytest.mark.parametrize("prolog", [
    "<!-- the gateway -->\n", "<?php echo 1 ?>", "\n  \t", "<!-- <result> -->",
    "<!-- a --><?x y?><!-- b -->"], ids=["comment", "instruction", "white-space",
                                       "element-in-a-comment", "several"])
@pytest.mark.parametrize("encoded", [str, str.encode, lambda text: b"\xef\xbb\xbf" + text.encode()],
                         ids=["text", "utf-8", "utf-8-bom"])
def test_a_document_type_after_anything_the_prolog_may_hold_is_refused(prolog, encoded):
    """The C parser's own tree builder reads a document only when nothing before its first
    element is a declaration; after a comment or an instruction one still is."""
    document = f'<?xml version="1.0"?>{prolog}' + DOCUMENT_TYPE.split("?>", 1)[1]
    with pytest.raises(UnreadableResponse):
        parse_results(encoded(document))


def test_a_declarations_text_inside_a_record_is_only_text():
    page = parse_results('<?xml version="1.0"?><!-- x --><result><code>0000</code>'
                         "<record><sendType>I</sendType><msg><![CDATA[<!DOCTYPE x>]]></msg>"
                         "</record></result>")
    assert page.rows[0].msg == "<!DOCTYPE x>"


def test_rows_of_two_layouts_and_a_repeated_field_are_read_as_their_children_say():
    page = parse_results(
        "<result><code>0000</code>"
        f"<record>{RECORD}</record>"
        "<record><msg>첫째</msg><receivePhone>010-3333-4444</receivePhone><msg> 둘째 </msg>"
        "<subject>제목</subject></record>"
        f"<record>{RECORD}<resultCode>3208</resultCode></record></result>")
    first, second, third = page.rows
    assert first.as_dict() == third.as_dict() and first.extra == {}
    assert (second.msg, second.receive_phone, second.send_type, second.extra) == (
        "둘째", "010-3333-4444", "", {"subject": "제목"})
    assert third.extra == {"resultCode": "3208"}


@pytest.mark.parametrize(("body", "status", "remaining"), [
    ("\ufeffsuccess,10", SendStatus.SUCCESS, 10),
    ("\ufeff -102,", SendStatus.REFUSED, None),
    ("\ufeffTest Success!,7\r\n", SendStatus.TEST, 7),
])
def test_a_byte_order_mark_before_the_answer_is_tolerated(body, status, remaining):
    outcome = parse_send_answer(body)
    assert (outcome.status, outcome.remaining) == (status, remaining)


def test_a_byte_order_mark_before_credit_and_senders_is_tolerated():
    assert parse_remaining("\ufeff 42\n") == 42
    assert parse_senders('\ufeff{"result":"Success","list":["010-1234-5678"]}') == [
        "010-1234-5678"]
