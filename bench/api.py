"""POST /api/v1/messages through the whole app against the client's own send, in one run.

Run by hand: .venv/bin/python bench/api.py [-n 1000] [--database URL]

Three pictures, each a ratio of medians measured in alternating blocks:

- loopback, processes (the goal's picture): the app served on 127.0.0.1 by gunicorn (one
  ``gthread`` worker, two threads, so the connection is kept) in a process of its own, as
  the form and relay benches serve it, called with a kept ``requests`` session; its gateway
  the simulator on another 127.0.0.1 port, in a process of its own; against
  ``Cafe24Client.send`` straight to that simulator. The API's send crosses two sockets and
  writes the send log (intent, outcome) in a SQLite file; the direct one crosses one.
- loopback, one process (for comparison, the picture before 2026-12-07): the same, but the
  app, the floor and the simulator are Werkzeug servers in threads of this process,
  sharing its GIL with the client: every lock the app's SQLite calls release and take
  again is a chance to switch threads, which amplifies the app's own CPU time by about
  1.6 against in-process.
- in-process: the app called as a WSGI callable with a prepared environ, its gateway the
  in-process simulator; against ``Cafe24Client.send`` on the in-process simulator.

In every picture a third side, the floor (F, bench/floor.py), takes the API's path with a
bare WSGI function in the app's place: it reads the body, makes exactly one
``Cafe24Client.send`` of the same message and answers ``201`` with a fixed body (the app's
own answer to one call, as it is). No Flask, no database, no JSON parsing, no token checked.
Over loopback it is served by the same server kind and options as the app (in a process of
its own in the first picture) and called by a kept ``requests`` session with the same
headers and body; its client sends to the same simulator socket. In-process it is called as
WSGI with the same environ, and sends with the app's own client (``gateway.client()``: the
in-process simulator transport built from ``SIMULATOR_BACKEND``). floor / direct is what a
do-nothing implementation of this shape costs against the direct send; api / floor is what
the app adds over it; ``3 * direct - floor`` is the room the goal leaves for the app's own
work (negative: out of reach whatever the app does). Blocks of the three alternate.

The goal (issue 13): over loopback, with the app in a process of its own, the API adds at
most 1.0 ms to its floor (api - floor, by median); the exit status is 1 otherwise. The 3x
ratio of issue 9 is still printed.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import floor  # noqa: E402
from timing import summary as _summary  # noqa: E402
from timing import timed  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from app import create_app  # noqa: E402
from cafe24.calls import SendRequest  # noqa: E402
from cafe24.client import Cafe24Client  # noqa: E402
from simulator import DEMO_SECURE_KEY, DEMO_USER_ID, demo_backend  # noqa: E402
from simulator.server import SimulatorServer  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.services import accounts, api_tokens, gateway  # noqa: E402
from smsform.services.audit import CLI_ACTOR  # noqa: E402

BODY = {"from": "010-1234-5678", "to": ["010-2222-3333", "010-4444-5555"],
        "text": "[스마트상사] 홍길동 고객님, 주문하신 상품이 오늘 발송됩니다. 감사합니다."}
REQUEST = SendRequest(msg=BODY["text"], sender=BODY["from"], recipients=tuple(BODY["to"]))
BLOCK = 100
GOAL = 3.0  # the old ratio (issues 8 and 9), still printed for comparison
#: Issue 13: over loopback, the app adds at most this over its floor (medians, ms).
OWN_GOAL_MS = 1.0


def summary(name: str, samples: list[float]) -> float:
    """Print mean/p50/p95 in ms (as this bench lays them out); return the median."""
    return _summary(name, samples, width=40, indent="  ")




def build(database: str, config: dict) -> tuple:
    """The app with a sender and their token."""
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database,
                      "SMSFORM_API_RATE": "1000000/minute", "SMSFORM_LOG_LEVEL": "ERROR",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **config})
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = accounts.create_user("bench", "bench-password", "sender")
        token = api_tokens.create(user, "bench", by=CLI_ACTOR).token
    return app, token


def compare(label: str, via_api: Callable[[], None], direct: Callable[[], None],
            via_floor: Callable[[], None], n: int, reset: Callable[[], None]) -> float:
    """Alternate blocks of the three paths; print the figures and return the ratio of
    medians api / direct."""
    for fn in (via_api, direct, via_floor):  # warm-up
        timed(fn, 50)
    gc.collect()
    gc.disable()
    api_times: list[float] = []
    direct_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(max(1, n // BLOCK)):
        reset()
        api_times.extend(timed(via_api, BLOCK))
        reset()
        direct_times.extend(timed(direct, BLOCK))
        reset()
        floor_times.extend(timed(via_floor, BLOCK))
    gc.enable()
    print(f"{label}: {len(api_times)} sends each, alternating blocks of {BLOCK}")
    api_p50 = summary("POST /api/v1/messages (whole app)", api_times)
    direct_p50 = summary("Cafe24Client.send (direct)", direct_times)
    floor_p50 = summary("floor (bare WSGI, read, one send)", floor_times)
    ratio = api_p50 / direct_p50
    print(f"  api / direct = {ratio:.2f}x by median")
    floor.print_floor(api_p50, direct_p50, floor_p50, GOAL, a="api", b="direct", f="floor")
    return api_p50 - floor_p50


def floor_app(client: Cafe24Client, answer: bytes) -> floor.WSGIApp:
    """The API's floor: read the body, one send of ``REQUEST``, ``answer`` with 201."""
    return floor.send_app(client, REQUEST, answer, status="201 CREATED",
                          content_type="application/json")


def serve(app: floor.WSGIApp) -> tuple[str, Callable[[], None]]:
    """``app`` on Werkzeug's server (one thread, kept connections) in a thread of this
    process: its messages URL and how to stop it."""
    server = make_server("127.0.0.1", 0, app, request_handler=KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}/api/v1/messages", server.shutdown


def poster(url: str, token: str, payload: bytes) -> Callable[[], requests.Response]:
    """A kept ``requests`` session posting ``payload`` to ``url``, expecting 201."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"})

    def post() -> requests.Response:
        answer = session.post(url, data=payload, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer

    return post


class KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's handler speaking HTTP/1.1, so the session's connection is kept."""

    protocol_version = "HTTP/1.1"


def loopback(n: int, database: str) -> float:
    """The app and the simulator each on a port of 127.0.0.1, in threads of this process."""
    backend = demo_backend()
    backend.accounts["demo"].credits = 10**9
    simulator = SimulatorServer(backend).start()
    app, token = build(database, {"CAFE24_SMS_BASE_URL": simulator.url,
                                  "CAFE24_SMS_USER_ID": DEMO_USER_ID,
                                  "CAFE24_SMS_SECURE_KEY": DEMO_SECURE_KEY,
                                  "CAFE24_SMS_ALLOW_HTTP": "1"})
    # One thread and kept connections, as the client keeps its own to the simulator.
    url, stop_app = serve(app)
    payload = json.dumps(BODY).encode()
    via_api = poster(url, token, payload)
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=simulator.url,
                          allow_http=True)
    # The floor: its own client (as the app has its own), the app's answer to one call.
    floor_client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=simulator.url,
                                allow_http=True)
    floor_url, stop_floor = serve(floor_app(floor_client, via_api().content))
    via_floor = poster(floor_url, token, payload)

    def direct() -> None:
        assert client.send(REQUEST).ok

    try:
        return compare("loopback", via_api, direct, via_floor, n, lambda: backend.reset())
    finally:
        stop_app()
        stop_floor()
        simulator.stop()


def _gunicorn_child(conn, app_factory, *args) -> None:  # noqa: ANN001
    """``app_factory(conn, *args)`` (which may send what the parent needs first) served by
    gunicorn on 127.0.0.1 in this process: one gthread worker, two threads, kept
    connections; the port goes to ``conn``."""
    from relay import _serve_gunicorn

    logging.disable(logging.CRITICAL)  # the send log lines are not what we measure
    _serve_gunicorn(app_factory(conn, *args), conn, worker_class="gthread", threads=2,
                    keepalive=30)


def _api_app(conn, database: str, simulator_url: str):  # noqa: ANN001, ANN202
    app, token = build(database, {"CAFE24_SMS_BASE_URL": simulator_url,
                                  "CAFE24_SMS_USER_ID": DEMO_USER_ID,
                                  "CAFE24_SMS_SECURE_KEY": DEMO_SECURE_KEY,
                                  "CAFE24_SMS_ALLOW_HTTP": "1"})
    with app.app_context():
        db.engine.dispose()  # no connection crosses the worker's fork
    conn.send(token)
    return app


def _floor(conn, answer: bytes, simulator_url: str):  # noqa: ANN001, ANN202
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=simulator_url,
                          allow_http=True)
    return floor_app(client, answer)


def loopback_processes(n: int, database: str) -> float:
    """The app, its floor and the simulator each in a process of its own on 127.0.0.1."""
    from relay import _simulator_child, _start

    sim_process, sim = _start(_simulator_child)
    host, port = sim.recv()
    simulator_url = f"http://{host}:{port}"
    app_process, web = _start(_gunicorn_child, _api_app, database, simulator_url)
    token = web.recv()
    url = f"http://127.0.0.1:{web.recv()}/api/v1/messages"
    payload = json.dumps(BODY).encode()
    via_api = poster(url, token, payload)
    floor_process, floor_web = _start(_gunicorn_child, _floor, via_api().content,
                                      simulator_url)
    via_floor = poster(f"http://127.0.0.1:{floor_web.recv()}/api/v1/messages", token,
                       payload)
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=simulator_url,
                          allow_http=True)

    def direct() -> None:
        assert client.send(REQUEST).ok

    def reset() -> None:
        sim.send("reset")
        sim.recv()

    try:
        return compare("loopback, processes (gunicorn gthread)", via_api, direct, via_floor,
                       n, reset)
    finally:
        app_process.terminate()  # gunicorn's master stops its worker on SIGTERM
        floor_process.terminate()
        sim.send("stop")
        for process in (app_process, floor_process, sim_process):
            process.join(timeout=10)


def in_process(n: int, database: str) -> float:
    """The app as a WSGI callable; both paths on the in-process simulator."""
    backend = demo_backend()
    backend.accounts["demo"].credits = 10**9
    app, token = build(database, {"SIMULATOR_BACKEND": backend})
    environ_template = EnvironBuilder(
        path="/api/v1/messages", method="POST", json=BODY,
        headers={"Authorization": f"Bearer {token}"}).get_environ()
    body = environ_template["wsgi.input"].read()
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        statuses.append(status)

    def caller(wsgi: floor.WSGIApp) -> Callable[[], bytes]:
        """Call ``wsgi`` with a copy of the environ, expecting 201; its answer."""
        def call() -> bytes:
            environ = dict(environ_template)
            environ["wsgi.input"] = io.BytesIO(body)
            answer = b"".join(wsgi(environ, start_response))
            assert statuses.pop() == "201 CREATED", answer
            return answer

        return call

    via_api = caller(app)
    with app.app_context():
        client = gateway.client()
    via_floor = caller(floor_app(client, via_api()))

    def direct() -> None:
        assert client.send(REQUEST).ok

    return compare("in-process", via_api, direct, via_floor, n, lambda: backend.reset())


def main() -> None:
    """Measure both pictures and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--database", default=None,
                        help="SQLAlchemy URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the send log line is not what we measure
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite:///{Path(folder) / 'bench.db'}"
        print(f"Python {sys.version.split()[0]}; database {database.split('///')[0]}…; "
              "logging off; GC off while timing")
        own = {"processes": loopback_processes(args.n, database),
               "loopback": loopback(args.n, database),
               "in-process": in_process(args.n, database)}
    print(f"loopback, one process: api - floor = {own['loopback']:.3f} ms; in-process: "
          f"{own['in-process']:.3f} ms (for comparison; the goal is the first picture)")
    met = floor.own_time_verdict(own["processes"], 0.0, OWN_GOAL_MS, indent="",
                                 a="loopback, processes: api", f="floor")
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
