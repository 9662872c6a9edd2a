"""The form guard's readings of a raw body: UTF-8 judged on the whole body at once says
what judging each ``name=value`` alone says, and a form without a repeated field is never
read field by field."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

import pytest

from smsform import form_guard


def each_pair_is_utf8(raw: bytes) -> bool:
    """The guard's first reading: every pair unquoted and decoded alone."""
    for pair in raw.replace(b";", b"&").split(b"&"):
        try:
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


BODIES = [
    b"", b"a=1&b=2", b"msg=%EC%95%88%EB%85%95", b"msg=%C3%28", b"%C3%28=x",
    b"a=%C3&b=%A9",  # each half of a character on its own side of the separator
    b"a=%C3;b=%A9", b"a=%C3%A9;b=%E2%82%AC", b"a=%E2%82", b"a=%F0%9F%98%80&b=+%2B+",
    b"a=%zz&b=%", b"a=%&%C3%A9", b"a=%C", b"a=\xc3\xa9", b"a=\xff&b=1", b"a=\xc3&\xa9",
    b"a=%C3%A9\xa9", b"a=%26%C3&%A9", b"msg=100%25C3(", b"a=%ED%A0%80",
]


@pytest.mark.parametrize("raw", BODIES)
def test_the_whole_body_decodes_when_each_pair_does(raw):
    assert form_guard._pairs_are_utf8(raw) is each_pair_is_utf8(raw)


def test_a_form_without_a_repeated_field_is_not_read_field_by_field(app, monkeypatch):
    with app.test_request_context("/smssend", method="POST", data={"a": "1", "b": "2"}):
        reads = []
        monkeypatch.setattr(type(form_guard.request.form), "getlist",
                            lambda self, name: reads.append(name) or [])
        form_guard.refuse_repeated(["a", "b", "c"])
        assert reads == []
