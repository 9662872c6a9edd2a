"""WSGITransport: a requests adapter that serves a WSGI app in-process, faults included."""

from __future__ import annotations

import pytest
import requests

from simulator.transport import DropConnection, StallResponse, WSGITransport

BASE = "https://gateway.invalid"


class EchoApp:
    """Answers with what it was given; raises what a test asks it to."""

    def __init__(self, raise_: Exception | None = None) -> None:
        self.raise_ = raise_
        self.environ: dict = {}
        self.closed = False

    def __call__(self, environ, start_response):
        if self.raise_:
            raise self.raise_
        self.environ = environ
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("201 Created", [("Content-Type", "text/plain; charset=euc-kr"),
                                       ("X-Echo", "yes")])
        app = self

        class Body(list):
            def close(self) -> None:
                app.closed = True

        return Body([b"got:", body])


def session(app) -> requests.Session:
    s = requests.Session()
    s.mount(BASE + "/", WSGITransport(app))
    return s


def test_a_request_reaches_the_app_and_its_answer_comes_back():
    app = EchoApp()
    with session(app) as s:
        response = s.post(BASE + "/sms_remain.php/?a=1", data={"user_id": "demo"},
                          headers={"X-Trace": "t1"})
    assert (response.status_code, response.reason) == (201, "Created")
    assert response.content == b"got:user_id=demo"
    assert response.headers["X-Echo"] == "yes" and response.encoding == "euc-kr"
    environ = app.environ
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]) == (
        "POST", "/sms_remain.php/", "a=1")
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert (environ["HTTP_X_TRACE"], environ["SERVER_PORT"]) == ("t1", "443")
    assert app.closed, "the WSGI iterable must be closed"


@pytest.mark.parametrize(("signal", "error"), [
    (DropConnection("/x"), requests.exceptions.ConnectionError),
    (StallResponse("/x"), requests.exceptions.ReadTimeout),
])
def test_fault_signals_become_the_errors_a_socket_gives(signal, error):
    with session(EchoApp(raise_=signal)) as s, pytest.raises(error):
        s.post(BASE + "/x", data={"a": "b"})


def test_a_crash_answers_500_like_a_server():
    with session(EchoApp(raise_=RuntimeError("boom"))) as s:
        response = s.post(BASE + "/x")
    assert response.status_code == 500
    assert response.text == "500 Internal Server Error: RuntimeError"
