"""A PHP-sample-style send through the relay vs the same send straight to the simulator.

Run by hand: .venv/bin/python bench/relay.py [-n 1000]
Both sides get the vendor PHP sample's request byte for byte: a new TCP connection per
call, HTTP/1.0, the hand-written multipart with every field Base64, read until the server
closes. "Direct" posts it to the simulator's socket server with the master id and key;
"relay" posts it to the whole app (Werkzeug's threaded server, SQLite file in WAL) with a
relay site's id and key, and the app sends it on to that same simulator socket (its client
keeps its connection). The simulator, the app and this script (the PHP site) each run
in a process of their own, as in life (one process would make them share a GIL).
"Floor" (F, bench/floor.py) posts the same bytes, the same way, to a bare WSGI function
served by the same server kind and options in a process of its own: it reads the body,
makes exactly one ``Cafe24Client.send`` of the same message to the same simulator socket
(a kept connection) and answers a fixed ``success,`` line (no Flask, no database, no
multipart parsing, no site's key checked). floor / direct is what a do-nothing
implementation of this shape costs against the direct send; relay / floor is what the app
adds over it; ``3 * direct - floor`` is the room the goal leaves for the app's own work
(negative: out of reach whatever the app does). Blocks of the three alternate.
The goal (issue 13): the relay adds at most 1.0 ms to its floor (relay - floor, by median);
the exit status is 1 otherwise. The 3x ratio of issue 9 is still printed.
"""

from __future__ import annotations

import argparse
import base64
import gc
import logging
import multiprocessing
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import floor  # noqa: E402
from timing import summary, timed  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from app import create_app  # noqa: E402
from cafe24.calls import SendRequest  # noqa: E402
from cafe24.client import Cafe24Client  # noqa: E402
from simulator import DEMO_SECURE_KEY, DEMO_USER_ID, demo_backend  # noqa: E402
from simulator.server import SimulatorServer  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.services import relay_sites  # noqa: E402
from smsform.services.audit import CLI_ACTOR  # noqa: E402

GOAL = 3.0  # the old ratio (issue 9), still printed for comparison
#: Issue 13: the relay adds at most this over its floor (medians, ms).
OWN_GOAL_MS = 1.0
BOUNDARY = "---------------------0123456789"
SENDER = "010-1234-5678"
MESSAGE = "[스마트상사] 홍길동 고객님, 주문하신 상품이 오늘 발송됩니다."
RECIPIENTS = ("010-2222-3333", "010-4444-5555")
#: The floor's answer: an acceptance as the relay writes it (``cafe24.wire.send_accepted``).
FLOOR_ANSWER = b"success,999999998"


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def php_request(host: str, port: int, path: str, user_id: str, secure: str) -> bytes:
    """The PHP sample's send, as it writes it."""
    fields = {"user_id": b64(user_id), "secure": b64(secure), "msg": b64(MESSAGE),
              "rphone": b64(",".join(RECIPIENTS)), "sphone1": b64("010"),
              "sphone2": b64("1234"), "sphone3": b64("5678"), "rdate": "", "rtime": "",
              "mode": b64("1"), "returnurl": "", "testflag": "", "destination": "",
              "repeatFlag": "", "repeatNum": "", "repeatTime": "", "smsType": b64("S"),
              "subject": ""}
    data = "".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n"
                   f"\r\n{v}\r\n--{BOUNDARY}\r\n" for k, v in fields.items())
    head = (f"POST {path}/ HTTP/1.0\r\nHost: {host}:{port}\r\n"
            f"Content-type: multipart/form-data, boundary={BOUNDARY}\r\n"
            f"Content-length: {len(data)}\r\n\r\n")
    return (head + data).encode("ascii")


def poster(host: str, port: int, request: bytes) -> Callable[[], None]:
    """One PHP-style call: connect, write, read to the close, expect ``success,``."""
    def call() -> None:
        with socket.create_connection((host, port)) as conn:
            conn.sendall(request)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        body = answer.partition(b"\r\n\r\n")[2]
        assert body.startswith(b"success,"), answer[:300]
    return call




def _simulator_child(conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """The simulator's socket server in its own process (its own GIL, as Cafe24 is)."""
    backend = demo_backend()
    backend.accounts[DEMO_USER_ID].credits = 10**9
    simulator = SimulatorServer(backend).start()
    conn.send(simulator.server_address[:2])
    while (command := conn.recv()) != "stop":
        if command == "reset":
            backend.reset()
            conn.send("ok")
    simulator.stop()


class _NoDelayHandler(WSGIRequestHandler):
    """Werkzeug's handler without its access log."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        return None


def _serve_gunicorn(app, port_out, **settings: object) -> None:  # noqa: ANN001
    """Serve ``app`` with gunicorn (one sync worker, as the README runs it, unless
    ``settings`` say otherwise), in this process; the port goes to ``port_out``."""
    from gunicorn.app.base import BaseApplication

    class Embedded(BaseApplication):
        def load_config(self) -> None:
            for name, value in {"bind": "127.0.0.1:0", "workers": 1, "accesslog": None,
                                "loglevel": "warning", **settings}.items():
                self.cfg.set(name, value)
            self.cfg.set("when_ready", lambda server: port_out.send(
                server.LISTENERS[0].sock.getsockname()[1]))

        def load(self):  # noqa: ANN202
            return app

    Embedded().run()


def _app_child(conn, simulator_url: str, server_kind: str, folder: str) -> None:  # noqa: ANN001
    """The whole app (SQLite file in ``folder``) on gunicorn or Werkzeug's server, in its
    own process."""
    logging.disable(logging.CRITICAL)  # the send log lines are not what we measure
    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/relay.db",
        "CAFE24_SMS_BASE_URL": simulator_url, "CAFE24_SMS_USER_ID": DEMO_USER_ID,
        "CAFE24_SMS_SECURE_KEY": DEMO_SECURE_KEY, "CAFE24_SMS_ALLOW_HTTP": "1",
        "RELAY_RATE_LIMIT": "1000000 per minute"})
    with app.app_context():
        db.create_all()
        issued = relay_sites.create_site("bench", [SENDER], by=CLI_ACTOR)
        db.engine.dispose()  # no connection crosses the workers' fork
    conn.send((issued.site.user_id, issued.secure))
    _serve(app, conn, server_kind)


def _serve(app, conn, server_kind: str) -> None:  # noqa: ANN001
    """Serve ``app`` on gunicorn or Werkzeug's server, sending the port to ``conn``; runs
    until the parent ends this process."""
    if server_kind == "gunicorn":
        _serve_gunicorn(app, conn)
        return
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_NoDelayHandler)
    conn.send(server.server_port)
    server.serve_forever()


def _floor_child(conn, simulator_url: str, server_kind: str) -> None:  # noqa: ANN001
    """The floor (bench/floor.py: read the body, one send, a fixed answer) on the app's
    server kind, in its own process; its client is configured as the app's."""
    client = Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=simulator_url,
                          allow_http=True)
    request = SendRequest(msg=MESSAGE, sender=SENDER, recipients=RECIPIENTS)
    _serve(floor.send_app(client, request, FLOOR_ANSWER), conn, server_kind)


def _start(target, *args):  # noqa: ANN001, ANN202
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    return process, parent


def main() -> None:
    """Start the simulator and the app in processes of their own on loopback, measure both
    paths from this one (the PHP site), print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="the app's server (Werkzeug's development server waits 10 ms "
                             "after every answer for unread body bytes)")
    args = parser.parse_args()

    sim_process, sim = _start(_simulator_child)
    sim_host, sim_port = sim.recv()
    folder = tempfile.TemporaryDirectory()
    app_process, web = _start(_app_child, f"http://{sim_host}:{sim_port}", args.server,
                              folder.name)
    user_id, secure = web.recv()
    app_port = web.recv()
    floor_process, floor_web = _start(_floor_child, f"http://{sim_host}:{sim_port}",
                                      args.server)
    floor_port = floor_web.recv()

    def reset() -> None:
        sim.send("reset")
        sim.recv()

    via_relay = poster("127.0.0.1", app_port, php_request(
        "127.0.0.1", app_port, "/relay/sms_sender.php", user_id, secure))
    direct = poster(sim_host, sim_port, php_request(
        sim_host, sim_port, "/sms_sender.php", DEMO_USER_ID, DEMO_SECURE_KEY))
    # The relay's bytes (its site's id and key, which the floor does not check).
    via_floor = poster("127.0.0.1", floor_port, php_request(
        "127.0.0.1", floor_port, "/relay/sms_sender.php", user_id, secure))
    try:
        for fn in (via_relay, direct, via_floor):  # warm-up
            timed(fn, 50)
        gc.collect()
        gc.disable()
        relay_times: list[float] = []
        direct_times: list[float] = []
        floor_times: list[float] = []
        block = 100  # alternate blocks, so drift and noisy neighbours hit all alike
        for _ in range(max(1, args.n // block)):
            reset()
            relay_times.extend(timed(via_relay, block))
            reset()
            direct_times.extend(timed(direct, block))
            reset()
            floor_times.extend(timed(via_floor, block))
        gc.enable()
    finally:
        app_process.terminate()  # gunicorn's master stops its worker on SIGTERM
        floor_process.terminate()
        sim.send("stop")
        app_process.join(timeout=10)
        floor_process.join(timeout=10)
        sim_process.join(timeout=10)
        folder.cleanup()
    print(f"{len(relay_times)} PHP-style sends each (HTTP/1.0, new connection per call), "
          f"alternating blocks of {block}; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; the app ({args.server}) and the simulator each in a "
          "process of its own")
    relay_p50 = summary("relay (app + SQLite + simulator)", relay_times)
    direct_p50 = summary("direct to the simulator socket", direct_times)
    floor_p50 = summary("floor (bare WSGI, read, one send)", floor_times)
    ratio = relay_p50 / direct_p50
    print(f"relay / direct = {ratio:.2f}x by median (the old 3x goal, for comparison)")
    floor.print_floor(relay_p50, direct_p50, floor_p50, GOAL, indent="",
                      a="relay", b="direct", f="floor")
    met = floor.own_time_verdict(relay_p50, floor_p50, OWN_GOAL_MS, indent="",
                                 a="relay", f="floor")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
