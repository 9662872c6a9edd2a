"""One library call for every problem code, so tests see each code made, with its params.

Shared by ``tests/cafe24/test_text.py`` (every code is listed in ``PROBLEM_CODES``) and
``tests/test_messages.py`` (every code has words in the app).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cafe24.calls import SendRequest
from cafe24.message import check_placeholder
from cafe24.phone import Recipient
from cafe24.schedule import KST, check_reservation
from cafe24.text import Problem

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=KST)
SENDER = "010-1234-5678"
ONE = ("010-2222-3333",)
THOUSAND = tuple(f"010-{1000 + i // 10000:04d}-{i % 10000:04d}" for i in range(1000))


def _request(**kwargs: object) -> list[Problem]:
    """The problems of a request that is fine except for ``kwargs``."""
    base: dict[str, object] = {"msg": "hi", "sender": SENDER, "recipients": ONE}
    return SendRequest(**{**base, **kwargs}).problems(now=NOW)


def examples() -> list[Problem]:
    """At least one problem of every code, some codes with one and with several items."""
    named_ok = (Recipient("010-2222-3333", "홍길동"),)
    return [
        *_request(msg=""),
        *_request(msg="가" * 1001 + "😀"),
        *_request(msg="😀 똠 😀"),
        *_request(msg="됬다"),
        *_request(msg="x" * 100, subject="제목😀" + "가" * 30),
        *_request(msg="a\x00b\x1b", subject="제목\nX-Injected: 1\x07"),
        *_request(recipients=(), named=(Recipient("010-2222-3333", "홍\x00길동"),)),
        *_request(recipients=(), named=(Recipient("010-2222-3333", "똠😀"),
                                         Recipient("010-3333-4444", "됬"))),
        *_request(recipients=(), named=(Recipient("010-2222-3333", "홍" * 101),)),
        *check_placeholder("{name}님", None),
        *check_placeholder("{name}님", (*named_ok, Recipient("010-3333-4444"))),
        *check_placeholder("{name}님", (Recipient("010-3333-4444"), Recipient("02-123-4567"))),
        *_request(sender=""),
        *_request(sender="12"),
        *_request(named=named_ok),
        *_request(recipients=()),
        *_request(recipients=("010-1",)),
        *_request(recipients=(*ONE, "12345", "abc", "12345")),
        *_request(recipients=THOUSAND),
        *check_reservation("20250314", "", now=NOW),
        *check_reservation("x", "y", now=NOW),
        *_request(reserve_at=NOW + timedelta(minutes=5)),
        *_request(reserve_at=NOW + timedelta(days=400)),
        *_request(repeat_num=0, repeat_minutes=0),
    ]
