"""``Cafe24Client.send``'s two hooks for work beside a call: ``sent`` (called once the request
has been written, while the answer is awaited) and ``prepared`` (a body encoded ahead by
``prepare_send``). A bulk worker uses both: its next batch is read and encoded while the
one before waits on the gateway, and that work never holds up the request it waits on.

The stand-in gateway on 127.0.0.1 is ``tests/cafe24/test_client_deadline.py``'s.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from cafe24.calls import SendRequest
from cafe24.client import Cafe24Client
from cafe24.errors import ConnectFailed
from tests.cafe24 import test_client_deadline as stand_in
from tests.cafe24.test_client_deadline import ANSWER, KEY, head
from tests.cafe24.test_client_redaction import assert_no_key

gateway = stand_in.gateway
client_of = stand_in.client_of


def sms(text: str = "안녕하세요") -> SendRequest:
    return SendRequest(msg=text, sender="010-1234-5678", recipients=("010-2222-3333",))


def test_sent_runs_once_the_request_has_left_and_before_the_answer(gateway, client_of):
    called = threading.Event()

    def answer_once_called(request: bytes) -> Iterator[bytes | float]:
        # The answer waits for the hook: a hook called after the answer (or never) would
        # leave the call to its read timeout, an unknown outcome.
        assert called.wait(2)
        yield head(len(ANSWER)) + ANSWER

    server = gateway(answer_once_called)
    calls: list[int] = []
    outcome = client_of(server).send(sms(), sent=lambda: (calls.append(1), called.set()))
    assert outcome.ok
    assert calls == [1]
    assert len(server.heads) == 1


def test_sent_is_not_called_when_no_request_left(client_of):
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client = Cafe24Client("demo", KEY, base_url=f"http://127.0.0.1:{port}", allow_http=True,
                          connect_retries=0)
    calls: list[int] = []
    with pytest.raises(ConnectFailed):
        client.send(sms(), sent=lambda: calls.append(1))
    assert calls == []


def test_a_prepared_body_goes_out_as_the_request_would_and_only_for_its_request(
        gateway, client_of):
    bodies: list[bytes] = []

    def record(request: bytes) -> Iterator[bytes | float]:
        bodies.append(request)
        yield head(len(ANSWER)) + ANSWER

    server = gateway(record)
    client = client_of(server)
    request, other = sms(), sms("다른 글")
    prepared = client.prepare_send(request)
    assert client.send(request).ok
    assert client.send(request, prepared=prepared).ok
    assert bodies[1] == bodies[0] == prepared.body
    # Another request's body, or one another client encoded, is never sent in its place.
    assert client.send(other, prepared=prepared).ok
    with Cafe24Client("someone", "another-secure-key", base_url=server.url, allow_http=True,
                      connect_retries=0) as another:
        assert another.send(request, prepared=prepared).ok
    assert bodies[2] == client.prepare_send(other).body != bodies[0]
    assert bodies[3] == another.prepare_send(request).body != bodies[0]  # its own account's
    assert_no_key(repr(prepared), KEY)
