"""The client keeps no form of its secure key in what it hands back: outcomes, errors, bodies.

A gateway (or a proxy in front of it) that echoes the request would otherwise hand the
key, raw, Base64 or URL-quoted, to pages, JSON answers and stored outcomes.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
import requests
from requests.adapters import BaseAdapter

from cafe24.answers import SendStatus
from cafe24.calls import SendRequest
from cafe24.client import EXCERPT_CHARS, REDACTED, Cafe24Client
from cafe24.errors import Cafe24Error, HTTPStatusError, UnreadableResponse
from simulator import DEMO_SECURE_KEY, DEMO_USER_ID, SIMULATOR_BASE_URL

# Its Base64 holds '+' and '/', so the standard, destination and URL-quoted forms all differ.
ODD_KEY = "k?>~y/s3cr3t&=?>"
OPERATIONS = ["send", "senders", "remaining", "results"]


def key_forms(key: str) -> list[str]:
    """Forms of ``key`` an echo can hold, computed apart from the client."""
    raw = key.encode()
    standard = base64.b64encode(raw).decode()
    forms = {key, quote(key, safe=""), quote_plus(key), standard,
             standard.replace("+", "-").replace("/", ","), quote_plus(standard),
             quote(standard, safe="").lower()}
    for shift in range(3):  # inside a longer Base64 text, at each byte alignment
        inner = base64.b64encode(b"\xff" * shift + raw + b"\xff").decode()[4:-4]
        forms |= {inner, inner.replace("+", "-").replace("/", ","), quote_plus(inner)}
    return sorted(forms)


def assert_no_key(text: str, key: str) -> None:
    """``text`` holds the key in none of its forms (a case-blind look for quoted ones)."""
    for form in key_forms(key):
        assert form not in text, f"{form!r} in {text!r}"
        assert form.lower() not in text.lower() or "%" not in form


def decodings(text: str, depth: int = 3) -> set[str]:
    """``text`` and what an attacker gets by decoding it ``depth`` layers deep: URL-unquoted,
    and every run of Base64 characters decoded at each alignment, in both alphabets."""
    found = {text}
    if depth == 0:
        return found
    layer = {unquote(text), unquote_plus(text)}
    for run in re.findall(r"[A-Za-z0-9+/,\-]{8,1000}", text):
        standard = run.replace("-", "+").replace(",", "/")
        for start in range(4):
            part = standard[start:]
            part = part[:len(part) - len(part) % 4]
            try:
                layer.add(base64.b64decode(part, validate=True).decode("latin-1"))
            except ValueError:
                continue
    for decoded in layer - {text}:
        found |= decodings(decoded, depth - 1)
    return found


def assert_not_recoverable(text: str, key: str) -> None:
    """No decoding of ``text`` (up to three layers) holds the key as it is."""
    for decoded in decodings(text):
        assert key not in decoded, f"the key decodes out of {text!r}"


def everything_kept(found: object) -> str:
    """Every text a caller could show or store from an outcome or an error."""
    if isinstance(found, Cafe24Error):
        return " ".join([str(found), found.message, found.body, repr(found.args)])
    return " ".join([found.raw, repr(found), *(everything_kept(found.error).split()
                                                if found.error else [])])


class EchoAdapter(BaseAdapter):
    """A proxy that answers every request with its own body, in many wrappings."""

    def __init__(self, status: int = 200, wrap: str = "plain") -> None:
        super().__init__()
        self.status, self.wrap = status, wrap

    def send(self, request, **kwargs):  # noqa: ARG002 - requests' adapter signature
        body = request.body if isinstance(request.body, str) else request.body.decode()
        if self.wrap == "json":  # PHP's json_encode escapes '/' as '\/'
            body = json.dumps({"request": body}).replace("/", "\\/")
        elif self.wrap == "base64":  # the whole request Base64-encoded (and padded)
            body = base64.b64encode(b"xx" + body.encode()).decode()
        elif self.wrap == "long":
            body = "x" * 5000 + body
        elif self.wrap == "quoted":  # URL-quoted once more (a proxy's error page, a log)
            body = quote(body, safe="")
        response = requests.Response()
        response.status_code = self.status
        response._content = body.encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def call(client: Cafe24Client, operation: str) -> object:
    """Run one operation; return its outcome, or the error it raised."""
    try:
        if operation == "send":
            return client.send(SendRequest(msg="hi", sender="010-1234-5678",
                                           recipients=("010-2222-3333",)))
        return getattr(client, operation)()
    except Cafe24Error as exc:
        return exc


def echo_client(key: str, charset: str = "utf-8", **adapter) -> Cafe24Client:
    return Cafe24Client(DEMO_USER_ID, key, base_url=SIMULATOR_BASE_URL, charset=charset,
                        transport=EchoAdapter(**adapter))


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("transport_kind", ["in_process", "socket"], indirect=True)
def test_the_simulators_echo_fault_leaves_no_key_behind(demo_client, demo_backend, operation):
    demo_backend.inject("echo")
    found = call(demo_client, operation)
    if operation == "send":
        assert found.status is SendStatus.UNKNOWN
        assert isinstance(found.error, UnreadableResponse)
    else:
        assert isinstance(found, UnreadableResponse)
    kept = everything_kept(found)
    assert REDACTED in kept  # the key was there, and was taken out
    assert_no_key(kept, DEMO_SECURE_KEY)
    error = found.error if operation == "send" else found
    assert "passwd=" not in error.message and "secure=" not in error.message  # no body quoted


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("wrap", ["plain", "json", "base64", "long", "quoted"])
@pytest.mark.parametrize("status", [200, 502])
@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
def test_an_echoing_proxy_gets_no_form_of_the_key_through(operation, wrap, status, charset):
    found = call(echo_client(ODD_KEY, charset, status=status, wrap=wrap), operation)
    if status != 200:
        error = found.error if operation == "send" else found
        assert isinstance(error, HTTPStatusError)
    assert_no_key(everything_kept(found), ODD_KEY)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("wrap", ["plain", "base64", "quoted"])
@pytest.mark.parametrize("key", [DEMO_SECURE_KEY, ODD_KEY, "Sx9/q+Lm-3kZ_7pW!e"])
def test_no_layer_of_decoding_recovers_the_key_from_an_echo(operation, wrap, key):
    """The whole request echoed Base64-encoded or URL-quoted again: what is kept must not
    give the key back after Base64-decoding and URL-unquoting, layer upon layer."""
    found = call(echo_client(key, wrap=wrap), operation)
    assert_not_recoverable(everything_kept(found), key)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_only_an_excerpt_of_a_body_is_kept(operation):
    found = call(echo_client(DEMO_SECURE_KEY, wrap="long"), operation)
    error = found.error if operation == "send" else found
    assert 0 < len(error.body) <= EXCERPT_CHARS + 1
    if operation == "send":
        assert len(found.raw) <= EXCERPT_CHARS + 1


def test_the_user_ids_base64_and_ordinary_answers_stay(demo_client):
    client = echo_client(DEMO_SECURE_KEY)
    outcome = call(client, "send")
    assert "user_id=ZGVtbw%3D%3D&secure=[key removed]&" in outcome.raw
    assert client.redact("success,1000") == "success,1000"
    assert demo_client.send(SendRequest(msg="hi", sender="010-1234-5678",
                                        recipients=("010-2222-3333",))).raw == "success,999"


def test_redact_takes_out_quoted_forms_in_either_hex_case():
    client = echo_client(ODD_KEY)
    for form in (quote(ODD_KEY, safe=""), quote(ODD_KEY, safe="").lower(), quote_plus(ODD_KEY)):
        assert client.redact(f"a={form}&b=1") == f"a={REDACTED}&b=1"
