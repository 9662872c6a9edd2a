"""CPU spent on sends that must be refused: too many named recipients, {name} x333.

Run by hand: .venv/bin/python bench/merge_limits.py [-n 3]
Each way in gets a request over the limits (issue 13: "CPU for nothing with the {name}
merge"): the form (a 345 KB post of 3,000 "number|name" lines with 100-character names),
the relay's test-only site (the same names on the wire) and the API (999 recipients, each
with a 100-character name). The text is ``{name}`` 333 times. Every answer must be a
refusal; the figure is the process's CPU time per request (``time.process_time``), in the
app's test client (no sockets), so it is the app's own work alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from simulator import demo_backend  # noqa: E402
from smsform.extensions import db  # noqa: E402
from smsform.models import User  # noqa: E402
from smsform.services import accounts, api_tokens, relay, tokens  # noqa: E402
from smsform.services.audit import CLI_ACTOR  # noqa: E402

SENDER = "010-1234-5678"
TEXT = "{name}" * 333
NAME = "n" * 100


def numbers(count: int) -> list[str]:
    """``count`` distinct mobile numbers."""
    return [f"010-{2000 + i // 10000:04d}-{i % 10000:04d}" for i in range(count)]


def build():
    """The app on an in-memory database with a sender, a token and a test-only site."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "SIMULATOR_BACKEND": demo_backend(),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        accounts.create_user("bench", "a-long-enough-password", "sender")
        user = accounts.find_user("bench")
        token = api_tokens.create(user, "bench", by=CLI_ACTOR).token
        site = relay.create_site("bench", [SENDER], test_only=True, by=CLI_ACTOR)
        user_id = db.session.execute(db.select(User.id).filter_by(username="bench")).scalar_one()
    return app, token, site, user_id


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="requests of each kind")
    args = parser.parse_args()
    app, token, site, user_id = build()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"
        session["_seen"] = int(time.time())
        session["_fresh"] = True
    destination = "\n".join(f"{n}|{NAME}" for n in numbers(3000))

    def form():
        with app.test_request_context():
            send_token = tokens.issue(user_id)
        data = {"msg": TEXT, "destination": destination, "sphone": SENDER,
                "send_token": send_token}
        return client.post("/smssend", data=data)

    wire_fields = {"user_id": b64(site.site.user_id), "secure": b64(site.secure), "msg": b64(TEXT),
                   "destination": b64(destination.replace("\n", ",")).translate(
                       str.maketrans("+/", "-,")),
                   "sphone1": b64("010"), "sphone2": b64("1234"), "sphone3": b64("5678"),
                   "mode": b64("1")}

    def relayed():
        return client.post("/relay/sms_sender.php", data=wire_fields)

    body = json.dumps({"from": SENDER, "text": TEXT, "to": [
        {"phone": n, "name": NAME} for n in numbers(999)]})

    def api():
        return client.post("/api/v1/messages", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})

    sizes = {"form": len(destination) + len(TEXT), "relay": sum(map(len, wire_fields.values())),
             "api": len(body)}
    for name, call in (("form", form), ("relay", relayed), ("api", api)):
        times = []
        for _ in range(args.n):
            started = time.process_time()
            response = call()
            times.append(time.process_time() - started)
        answer = response.get_data(as_text=True)[:80].replace("\n", " ")
        print(f"{name:6} {sizes[name] / 1024:6.0f} KB  status {response.status_code}  "
              f"CPU min {min(times) * 1000:8.1f} ms  max {max(times) * 1000:8.1f} ms  "
              f"answer {answer!r}")


if __name__ == "__main__":
    main()
