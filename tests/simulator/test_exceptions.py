"""Each refusal carries the gateway's code, and every path writes it as the gateway does."""

from __future__ import annotations

import pytest

from cafe24.codes import LIST_CODES, REMAIN_CODES, SEND_CODES
from simulator import wsgi
from simulator.exceptions import (
    REFUSALS,
    AuthFailed,
    MessageUndecodable,
    MissingField,
    NotEnoughCredit,
    NoValidRecipient,
    Refusal,
    RefusedCharacter,
    RepeatInvalid,
    ReservationInvalid,
    SenderNotRegistered,
    SpamBlocked,
    TooLong,
    TooManyRecipients,
)

CODES = [
    (MissingField, "-101"), (AuthFailed, "-102"), (ReservationInvalid, "-105"),
    (TooManyRecipients, "-110"), (SenderNotRegistered, "-114"), (NotEnoughCredit, "-201"),
    (RefusedCharacter, "-202"), (RepeatInvalid, "0003"), (TooLong, "0004"),
    (SpamBlocked, "0044"), (NoValidRecipient, "3202"), (MessageUndecodable, "3203"),
]


@pytest.mark.parametrize(("refusal", "code"), CODES, ids=[c for _, c in CODES])
def test_each_refusal_carries_its_code(refusal, code):
    error = refusal()
    assert isinstance(error, Refusal)
    assert (error.code, error.remaining, str(error)) == (code, None, code)
    assert code in SEND_CODES  # a code the library can explain, not one made up here


def test_every_refusal_is_listed_once_with_its_own_code():
    assert set(REFUSALS) == {refusal for refusal, _ in CODES}
    assert len({refusal.code for refusal in REFUSALS}) == len(REFUSALS)


@pytest.mark.parametrize(("refusal", "code"), CODES, ids=[c for _, c in CODES])
def test_send_refusal_always_writes_the_comma(refusal, code):
    assert wsgi.send_refusal(refusal()) == f"{code},"
    assert wsgi.send_refusal(refusal(remaining=0)) == f"{code},0"
    assert wsgi.send_refusal(refusal(remaining=1000)) == f"{code},1000"


@pytest.mark.parametrize("refusal", [MissingField, AuthFailed])
def test_remain_and_results_refusals_use_the_same_codes(refusal):
    assert refusal.code in REMAIN_CODES and refusal.code in LIST_CODES
    assert wsgi.remain_refusal(refusal(remaining=5)) == refusal.code  # bare, no comma
    assert wsgi.results_refusal(refusal()) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<result>\n'
        f"<code>{refusal.code}</code>\n<totalCnt>0</totalCnt>\n</result>")


def test_repr_names_the_code_and_credit():
    assert repr(NotEnoughCredit(remaining=2)) == "NotEnoughCredit(code='-201', remaining=2)"
