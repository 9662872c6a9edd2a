"""POST /smssend through the whole app vs the client's own send, both on the in-process simulator.

Run by hand: .venv/bin/python bench/app_smssend.py [-n 1000]
The goal (issue 4): the app adds at most 3x the direct call's time, i.e.
(app - direct) <= 3 * direct, judged on medians. Also timed: the same post carrying
the form's one-time send token (two more small database commits: claim and outcome).
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import stats, timed  # noqa: E402
from timing import summary as _summary  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from app import create_app  # noqa: E402
from cafe24.calls import SendRequest  # noqa: E402
from simulator import demo_backend  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import User  # noqa: E402
from smsform.services import accounts, gateway, tokens  # noqa: E402

FORM = {
    "sphone": "010-1234-5678",
    "rphone": "010-2222-3333, 010-4444-5555",
    "msg": "[스마트상사] 홍길동 고객님, 주문하신 상품이 오늘 발송됩니다. 감사합니다.",
}


def _cookie_header(web) -> str:
    """The signed-in test client's cookies as a Cookie header."""
    return "; ".join(f"{c.key}={c.value}" for c in web._cookies.values())  # noqa: SLF001




def summary(name: str, samples: list[float]) -> tuple[float, float]:
    """Print mean/p50/p95 in ms and return the mean and the median."""
    mean, p50, _p95 = stats(samples)
    _summary(name, samples, width=28)
    return mean, p50


def main() -> None:
    """Measure both paths and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the app path")
    parser.add_argument("--database", default="sqlite://",
                        help="SQLAlchemy URL (default: SQLite in memory; try sqlite:////tmp/b.db)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the send log line is not what we measure

    backend = demo_backend()
    backend.accounts["demo"].credits = 10**9
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database,
                      "SIMULATOR_BACKEND": backend})
    with app.app_context():
        db.create_all()  # the models' schema (create_app no longer makes tables)
        accounts.create_user("bench", "bench-password", "sender")
    web = app.test_client()
    web.post("/login", data={"username": "bench", "password": "bench-password",
                             "csrf_token": re.search(
                                 r'name="csrf_token"[^>]*value="([^"]+)"',
                                 web.get("/login").get_data(as_text=True)).group(1)})
    page = web.get("/smsform").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {**FORM, "csrf_token": token}

    # The request is built once, as a server would hand it over; only the app is timed,
    # not the test client's request building.
    builder = EnvironBuilder(path="/smssend", method="POST", data=form,
                             headers={"Accept": "application/json",
                                      "Cookie": _cookie_header(web)})
    environ_template = builder.get_environ()
    body = environ_template["wsgi.input"].read()
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        statuses.append(status)

    def via_app() -> None:
        environ = dict(environ_template)
        environ["wsgi.input"] = io.BytesIO(body)
        answer = b"".join(app(environ, start_response))
        assert statuses.pop() == "200 OK", answer

    with app.app_context():
        user_id = db.session.execute(db.select(User.id).filter_by(username="bench")).scalar_one()

    def token_requests(count: int) -> list[tuple[dict, bytes]]:
        """Environs of the real form's post: each with its own one-time send token."""
        out = []
        with app.app_context():
            for _ in range(count):
                data = {**form, "send_token": tokens.issue(user_id)}
                environ = EnvironBuilder(path="/smssend", method="POST", data=data,
                                         headers={"Accept": "application/json",
                                                  "Cookie": _cookie_header(web)}).get_environ()
                out.append((environ, environ["wsgi.input"].read()))
        return out

    pending: list[tuple[dict, bytes]] = []

    def via_form() -> None:
        environ, payload = pending.pop()
        environ["wsgi.input"] = io.BytesIO(payload)
        answer = b"".join(app(environ, start_response))
        assert statuses.pop() == "200 OK", answer

    with app.app_context():
        client = gateway.client()
    request = SendRequest(msg=FORM["msg"], sender=FORM["sphone"],
                          recipients=("010-2222-3333", "010-4444-5555"))

    def direct() -> None:
        assert client.send(request).ok

    if args.profile:
        import cProfile
        import pstats

        timed(via_app, 50)
        profiler = cProfile.Profile()
        profiler.runcall(timed, via_app, args.n)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(40)
        stats.print_callees("process_response|smssend|preprocess_request")
        return
    pending.extend(token_requests(50))
    for fn in (via_app, via_form, direct):  # warm-up
        timed(fn, 50)
    backend.reset()
    gc.collect()
    gc.disable()
    # Alternate blocks of 100 calls (warm caches within a block, as in a tight loop),
    # so drift and noisy neighbours hit both paths alike.
    app_times: list[float] = []
    form_times: list[float] = []
    direct_times: list[float] = []
    block = 100
    for _ in range(max(1, args.n // block)):
        backend.reset()
        app_times.extend(timed(via_app, block))
        pending.extend(token_requests(block))  # made outside the timing
        backend.reset()
        form_times.extend(timed(via_form, block))
        backend.reset()
        direct_times.extend(timed(direct, block))
    gc.enable()
    print(f"{len(app_times)} sends each, in alternating blocks of {block}; "
          f"Python {sys.version.split()[0]}; in-process simulator; logging off; GC off")
    print(f"database: {args.database}")
    app_mean, app_p50 = summary("POST /smssend (whole app)", app_times)
    summary("  the same with a send token", form_times)
    direct_mean, direct_p50 = summary("Cafe24Client.send (direct)", direct_times)
    ratio, ratio_p50 = app_mean / direct_mean, app_p50 / direct_p50
    print(f"app / direct = {ratio:.2f}x by mean, {ratio_p50:.2f}x by median "
          f"(the app adds {ratio - 1:.2f}x / {ratio_p50 - 1:.2f}x)")
    verdict = "PASS" if ratio_p50 - 1 <= 3 else "FAIL"
    print(f"goal: the app adds at most 3x the direct call's time (median) -> {verdict}")

if __name__ == "__main__":
    main()
