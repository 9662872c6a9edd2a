"""The confirmation text (SMSFORM_OPTOUT_CONFIRM): a recorded opt-out tells its number, by a
text through the send service (logged, source ``optout``), and a failed text never fails
the opt-out; the settings are checked at start."""

from __future__ import annotations

from datetime import datetime

import pytest

from cafe24.schedule import KST
from config import SettingsError, from_env
from simulator import DEMO_SENDERS
from smsform.extensions import db
from smsform.models import Send
from smsform.services import optouts, sending
from smsform.services.audit import CLI_ACTOR
from smsform.states import OptOutVia
from tests.api_support import bearer, token_user
from tests.support import build_app, send_calls, sign_in

NAME = "스마일상사"
ON = {"SMSFORM_OPTOUT_CONFIRM": "1", "SMSFORM_OPTOUT_CONFIRM_FROM": DEMO_SENDERS[0],
      "SMSFORM_AD_SENDER_NAME": NAME}


def sends(app) -> list[Send]:
    with app.app_context():
        rows = db.session.execute(db.select(Send).order_by(Send.id)).scalars().all()
        db.session.expunge_all()
        return rows


def test_a_recorded_opt_out_gets_its_confirmation_text(backend):
    app = build_app(backend, **ON)
    sender = sign_in(app, "sender")
    assert sender.post("/optouts", data={"phone": "01012345678"}).status_code == 302
    [call] = send_calls(backend)
    assert call.fields["rphone"] == "010-1234-5678"
    today = datetime.now(KST).strftime("%Y-%m-%d")
    assert call.fields["msg"] == f"[{NAME}] {today} 광고성 정보 수신거부가 처리되었습니다."
    [row] = sends(app)
    assert (row.source, row.actor, row.result, row.advertising) == (
        "optout", "sender-user", "success", False)
    with app.app_context():
        entry = optouts.find("010-1234-5678")
    assert entry.confirm_send_id == row.id
    # on the list already: nothing recorded, nothing sent again
    sender.post("/optouts", data={"phone": "010-1234-5678"})
    assert len(send_calls(backend)) == 1


def test_the_api_and_the_cli_confirm_too_an_import_does_not(backend):
    app = build_app(backend, **ON)
    token = token_user(app)
    app.test_client().post("/api/v1/optouts", json={"phone": "010-2000-0001"},
                           headers=bearer(token))
    app.test_cli_runner().invoke(args=["optout", "add", "010-2000-0002"])
    assert [c.fields["rphone"] for c in send_calls(backend)] == ["010-2000-0001",
                                                                 "010-2000-0002"]
    sign_in(app, "sender").post("/optouts/import", data={"paste": "010-2000-0003"})
    assert len(send_calls(backend)) == 2  # a file's numbers came from elsewhere


def test_without_the_setting_nothing_is_sent(app, backend):
    sign_in(app, "sender").post("/optouts", data={"phone": "010-1234-5678"})
    assert send_calls(backend) == [] and sends(app) == []


def test_a_refused_confirmation_leaves_the_opt_out_recorded(backend):
    app = build_app(backend, **{**ON, "SMSFORM_OPTOUT_CONFIRM_FROM": "02-999-9999"})
    with app.app_context():
        added = optouts.add("010-1234-5678", via=OptOutVia.CLI, by=CLI_ACTOR)
    assert added.new
    [row] = sends(app)
    assert (row.result, row.code) == ("refused", "-114")  # an unregistered sender
    assert added.entry.confirm_send_id == row.id


def test_a_confirmation_that_raises_never_fails_the_opt_out(backend, monkeypatch):
    app = build_app(backend, **ON)

    def broken(order):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sending, "submit", broken)
    sender = sign_in(app, "sender")
    assert sender.post("/optouts", data={"phone": "010-1234-5678"}).status_code == 302
    with app.app_context():
        entry = optouts.find("010-1234-5678")
    assert entry is not None and entry.confirm_send_id is None


@pytest.mark.parametrize(("env", "variable"), [
    ({"SMSFORM_OPTOUT_CONFIRM": "1"}, "SMSFORM_OPTOUT_CONFIRM_FROM"),
    ({**ON, "SMSFORM_OPTOUT_CONFIRM_TEXT": "{name}님 수신거부 완료"},
     "SMSFORM_OPTOUT_CONFIRM_TEXT"),
    ({"SMSFORM_OPTOUT_CONFIRM": "1", "SMSFORM_OPTOUT_CONFIRM_FROM": "010-1234-5678"},
     "SMSFORM_AD_SENDER_NAME"),
])
def test_the_settings_are_checked_at_start(tmp_path, env, variable):
    with pytest.raises(SettingsError) as refused:
        from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", **env}, tmp_path)
    assert refused.value.variable == variable


def test_a_text_of_ones_own_with_the_date(tmp_path):
    settings = from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", **ON,
                         "SMSFORM_OPTOUT_CONFIRM_TEXT": "{date} 수신거부 완료"}, tmp_path)
    assert (settings.optout_confirm_from, settings.optout_confirm_text) == (
        DEMO_SENDERS[0], "{date} 수신거부 완료")
    off = from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}, tmp_path)
    assert off.optout_confirm_from == ""
