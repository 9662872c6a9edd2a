"""Round trips to the loopback simulator: kept connection vs a new TCP connection per call.

Run by hand from the repository root (this is a measurement, not a test)::

    .venv/bin/python bench/gateway_roundtrip.py            # N=1000 sends per phase
    .venv/bin/python bench/gateway_roundtrip.py -n 5000 --server-process

Phases, each on a freshly reset simulator backend and each after an untimed warm-up:

(a)  reuse: one Cafe24Client, its kept connection, HTTP/1.1 keep-alive.
(b)  new TCP connection per call: the same client with ``Connection: close`` on
     every request, so the server closes after each answer and the next call
     connects again (what the vendor PHP sample's fsockopen-per-call does on the
     wire). The script counts the connections the server accepted to prove it.
(b') a fresh Cafe24Client per call (new pool, new TCP connection),
     construction and close() included: the worst case a careless caller builds.

Then the client's own work without the network, on the same requests:
``request.problems()`` + ``client.encode_send(request)`` + ``parse_send_answer(body)``,
as a share of the mean reuse round trip, checked against the 20 % budget.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cafe24.answers import SendStatus, parse_send_answer  # noqa: E402
from cafe24.calls import SendRequest  # noqa: E402
from cafe24.client import Cafe24Client  # noqa: E402
from cafe24.phone import Recipient  # noqa: E402
from simulator import DEMO_SECURE_KEY, DEMO_SENDERS, DEMO_USER_ID, GatewayBackend  # noqa: E402
from simulator.server import SimulatorServer  # noqa: E402

BUDGET = 0.20  # the issue: client overhead at most 20 % of the reuse round trip
WARMUP = 50
CREDITS = 10**9  # reset() keeps accounts and credit, so give plenty once

SMS_TEXT = "[한빛치과] 내일(11/26) 오전 10시 30분 진료 예약이 있습니다. 변경은 02-123-4567"
LMS_SUBJECT = "12월 진료 일정 안내"
LMS_TEXT = (
    "[한빛치과] 12월 진료 일정을 안내드립니다.\n"
    "- 12월 24일(수): 오후 2시까지 진료\n"
    "- 12월 25일(목): 휴진\n"
    "- 12월 31일(수): 오후 1시까지 진료\n"
    "예약 변경이나 문의는 02-123-4567로 연락 주세요. 주차는 건물 지하 2층을 이용하시면 "
    "2시간 무료입니다. 감사합니다."
)
NAMED_TEXT = "{name}님, 주문하신 상품이 오늘 발송되었습니다. 배송 조회는 1588-1234"
NAMES = ("홍길동", "김철수", "이영희", "박민수", "최지우")


# -- the message mix ------------------------------------------------------------


def phone(i: int) -> str:
    """A valid, distinct mobile number that never ends in a simulator failing suffix."""
    return f"010-{2000 + (i // 5000) % 7000:04d}-{1001 + i % 5000:04d}"


def build_requests(n: int) -> list[SendRequest]:
    """Cycle: Korean SMS to 1 number, LMS with subject to 1, destination with 3 names."""
    sender = DEMO_SENDERS[0]
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append(SendRequest(msg=SMS_TEXT, sender=sender, recipients=(phone(i),)))
        elif kind == 1:
            out.append(SendRequest(msg=LMS_TEXT, sender=sender, recipients=(phone(i),),
                                   subject=LMS_SUBJECT, lms=True))
        else:
            named = tuple(Recipient(phone(3 * i + k), NAMES[(i + k) % len(NAMES)])
                          for k in range(3))
            out.append(SendRequest(msg=NAMED_TEXT, sender=sender, named=named))
    return out


# -- the simulator, in a thread of this process or in a child process -------------


class CountingServer(SimulatorServer):
    """SimulatorServer that counts the TCP connections it accepts."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accepted = 0
        self._count_lock = threading.Lock()

    def get_request(self):  # noqa: ANN201 - socketserver signature
        conn = super().get_request()
        with self._count_lock:
            self.accepted += 1
        return conn


def new_backend() -> GatewayBackend:
    """The demo account with enough credit for any N."""
    backend = GatewayBackend()
    backend.add_account(DEMO_USER_ID, DEMO_SECURE_KEY, list(DEMO_SENDERS), CREDITS)
    return backend


class ThreadSimulator:
    """The server in a daemon thread of this process (shares the GIL with the client)."""

    where = "in a thread of this process (client and server share one GIL)"

    def __init__(self) -> None:
        self.backend = new_backend()
        self.server = CountingServer(self.backend, "127.0.0.1", 0).start()
        self.url = self.server.url

    def reset(self) -> None:
        self.backend.reset()
        self.server.accepted = 0

    def stats(self) -> tuple[int, int, int]:
        """(stored messages, recorded calls, accepted connections) since the last reset."""
        return len(self.backend.messages), len(self.backend.calls), self.server.accepted

    def stop(self) -> None:
        self.server.stop()


def _child(conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    sim = ThreadSimulator()
    conn.send(sim.url)
    while True:
        command = conn.recv()
        if command == "reset":
            sim.reset()
            conn.send(None)
        elif command == "stats":
            conn.send(sim.stats())
        else:
            sim.stop()
            conn.send(None)
            return


class ProcessSimulator:
    """The server in a child process, so it has its own interpreter and GIL."""

    where = "in a child process (its own GIL)"

    def __init__(self) -> None:
        import multiprocessing

        self._conn, child_conn = multiprocessing.Pipe()
        self._proc = multiprocessing.Process(target=_child, args=(child_conn,),
                                             daemon=True)
        self._proc.start()
        self.url = self._conn.recv()

    def _ask(self, command: str):  # noqa: ANN202
        self._conn.send(command)
        return self._conn.recv()

    def reset(self) -> None:
        self._ask("reset")

    def stats(self) -> tuple[int, int, int]:
        return self._ask("stats")

    def stop(self) -> None:
        self._ask("stop")
        self._proc.join(timeout=5)


# -- measuring ----------------------------------------------------------------------


def pct(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, round(p / 100 * len(sorted_values) + 0.4999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(seconds: list[float]) -> dict[str, float]:
    """Mean, p50 and p95 in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {"mean": statistics.fmean(ms), "p50": pct(ms, 50), "p95": pct(ms, 95)}


def run_phase(name: str, sim, requests_: list[SendRequest], send: Callable[[SendRequest], object],
              keep_gc: bool) -> tuple[list[float], list[str]]:
    """Warm up, reset the backend, then time every send; check every outcome."""
    for req in requests_[:WARMUP]:
        send(req)
    sim.reset()
    gc.collect()
    if not keep_gc:
        gc.disable()
    times: list[float] = []
    bodies: list[str] = []
    bad = 0
    perf = time.perf_counter
    try:
        for req in requests_:
            t0 = perf()
            outcome = send(req)
            times.append(perf() - t0)
            if outcome.status is not SendStatus.SUCCESS:
                bad += 1
            bodies.append(outcome.raw)
    finally:
        gc.enable()
    if bad:
        raise SystemExit(f"{name}: {bad} of {len(requests_)} sends did not succeed")
    return times, bodies


def overhead(client: Cafe24Client, requests_: list[SendRequest], bodies: list[str],
             keep_gc: bool) -> dict[str, list[float]]:
    """The client's own work per send, without the network: validate, encode, parse."""
    for req, body in zip(requests_[:WARMUP], bodies[:WARMUP], strict=False):
        req.problems()
        client.encode_send(req)
        parse_send_answer(body)
    gc.collect()
    if not keep_gc:
        gc.disable()
    parts: dict[str, list[float]] = {"problems": [], "encode": [], "parse": [], "total": []}
    perf = time.perf_counter
    try:
        for req, body in zip(requests_, bodies, strict=True):
            t0 = perf()
            req.problems()
            t1 = perf()
            client.encode_send(req)
            t2 = perf()
            parse_send_answer(body)
            t3 = perf()
            parts["problems"].append(t1 - t0)
            parts["encode"].append(t2 - t1)
            parts["parse"].append(t3 - t2)
            parts["total"].append(t3 - t0)
    finally:
        gc.enable()
    return parts


def line(label: str, s: dict[str, float], extra: str = "") -> str:
    return (f"  {label:<34} mean {s['mean']:7.3f} ms   p50 {s['p50']:7.3f} ms   "
            f"p95 {s['p95']:7.3f} ms{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=1000, help="sends per phase (default 1000)")
    parser.add_argument("--server-process", action="store_true",
                        help="run the simulator in a child process instead of a thread")
    parser.add_argument("--keep-gc", action="store_true",
                        help="leave the garbage collector on during timed loops")
    parser.add_argument("--skip-fresh-client", action="store_true",
                        help="skip phase (b'), a fresh Cafe24Client per call")
    args = parser.parse_args(argv)
    if args.n < WARMUP:
        parser.error(f"-n must be at least {WARMUP}")

    requests_ = build_requests(args.n)
    recipients = sum(r.recipient_count for r in requests_)
    sim = ProcessSimulator() if args.server_process else ThreadSimulator()
    print(f"gateway round trip bench, {date.today().isoformat()}: Python "
          f"{platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    print(f"simulator: SimulatorServer at {sim.url}, {sim.where}")
    print(f"N = {args.n} sends per phase (cycle: Korean SMS to 1, LMS with subject to 1, "
          f"destination with 3 names); {recipients} recipients; {WARMUP} untimed warm-up sends "
          "per phase; backend reset before each timed phase")
    print(f"garbage collector: {'on' if args.keep_gc else 'collected, then disabled'} "
          "during timed loops; clock: time.perf_counter per call")
    print()

    def client(**kw) -> Cafe24Client:
        return Cafe24Client(DEMO_USER_ID, DEMO_SECURE_KEY, base_url=sim.url, **kw)

    results: dict[str, dict[str, float]] = {}
    try:
        # (a) one client, one kept connection
        kept = client()
        times_a, bodies = run_phase("(a)", sim, requests_, kept.send, args.keep_gc)
        msgs, calls, conns = sim.stats()
        kept.close()
        results["a"] = summary(times_a)
        print(line("(a) reuse, kept connection", results["a"],
                   f"   [{conns} new TCP conn., {calls} calls, {msgs} msgs]"))
        if msgs != recipients or calls != args.n:
            raise SystemExit(f"(a): the simulator stored {msgs} messages / {calls} calls")

        # (b) same client, Connection: close -> a new TCP connection per call
        closing = client(keep_alive=False)
        times_b, _ = run_phase("(b)", sim, requests_, closing.send, args.keep_gc)
        msgs, calls, conns = sim.stats()
        closing.close()
        results["b"] = summary(times_b)
        print(line("(b) new TCP per call (Conn: close)", results["b"],
                   f"   [{conns} new TCP conn., {calls} calls, {msgs} msgs]"))
        if conns < args.n:
            raise SystemExit(f"(b): only {conns} connections for {args.n} calls")

        # (b') a fresh client per call, built and closed inside the timing
        if not args.skip_fresh_client:
            def fresh_send(req: SendRequest):  # noqa: ANN202
                with client() as one:
                    return one.send(req)

            times_f, _ = run_phase("(b')", sim, requests_, fresh_send, args.keep_gc)
            msgs, calls, conns = sim.stats()
            results["f"] = summary(times_f)
            print(line("(b') fresh Cafe24Client per call", results["f"],
                       f"   [{conns} new TCP conn., {calls} calls, {msgs} msgs]"))
    finally:
        sim.stop()

    print()
    ratio = results["b"]["mean"] / results["a"]["mean"]
    print(f"  ratio (b)/(a), mean: {ratio:.2f}x   p50: "
          f"{results['b']['p50'] / results['a']['p50']:.2f}x")
    if "f" in results:
        print(f"  ratio (b')/(a), mean: {results['f']['mean'] / results['a']['mean']:.2f}x")

    parts = overhead(client(), requests_, bodies, args.keep_gc)
    sums = {k: summary(v) for k, v in parts.items()}
    share = sums["total"]["mean"] / results["a"]["mean"]
    print()
    print("client's own work per send, no network (same requests, same answers):")
    for key, label in (("problems", "request.problems()"), ("encode", "client.encode_send()"),
                       ("parse", "parse_send_answer()"), ("total", "total")):
        print(line(label, sums[key]))
    verdict = "PASS" if share <= BUDGET else "FAIL"
    print(f"  overhead / reuse round trip (means): {share:.1%}   budget {BUDGET:.0%}: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
