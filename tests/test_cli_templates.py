"""`flask --app app templates list|show|add|edit|delete`, and `send --template`."""

from __future__ import annotations

import json

import pytest

from simulator import DEMO_SENDERS
from smsform.cli_api import EXIT_INVALID, EXIT_OK
from smsform.services import templates
from tests.api_support import PASSWORD, audit_events, sends
from tests.support import make_user, send_calls

NOTICE = "{name}님, 주문하신 상품이 발송되었습니다."


def stored(app):
    with app.app_context():
        return templates.list_all()


def test_add_list_show_edit_and_delete(app, runner):
    added = runner.invoke(args=["templates", "add", "발송 안내", "--text", "-", "--subject",
                                "배송", "--type", "lms"], input=NOTICE + "\n")
    assert added.exit_code == 0, added.output
    [made] = stored(app)
    assert (made.text, made.subject, made.kind, made.created_by) == (NOTICE, "배송", "lms",
                                                                     "cli")
    assert added.output == f"saved template {made.id} 발송 안내\n"
    listed = runner.invoke(args=["templates", "list"])
    assert listed.output.splitlines()[1].split("\t")[:6] == [
        str(made.id), "발송 안내", "lms", "no", "{name}", str(len(NOTICE.encode("euc-kr")))]
    as_json = json.loads(runner.invoke(args=["templates", "list", "--json"]).output)
    assert as_json["items"][0]["fields"] == ["name"]
    shown = runner.invoke(args=["templates", "show", str(made.id)])
    assert shown.output.splitlines()[-1] == NOTICE
    edited = runner.invoke(args=["templates", "edit", "발송 안내", "--name", "안내",
                                 "--advertising", "--type", "auto"])
    assert edited.exit_code == 0, edited.output
    [changed] = stored(app)
    assert (changed.name, changed.text, changed.subject, changed.kind, changed.advertising) == (
        "안내", NOTICE, "배송", "auto", True)
    assert runner.invoke(args=["templates", "delete", "안내"]).exit_code == 0
    assert stored(app) == []
    assert [e.actor for e in audit_events(app, "template_created", "template_changed",
                                          "template_deleted")] == ["cli"] * 3


def test_a_text_that_would_not_send_names_each_problem(app, runner):
    refused = runner.invoke(args=["templates", "add", "x", "--text", "쀍", "--subject",
                                  "가" * 26])
    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert "이 문구는 그대로는 보낼 수 없습니다" in lines[0] and "would not send" in lines[0]
    assert len([line for line in lines if line.startswith("- ")]) == 2
    assert stored(app) == []
    missing = runner.invoke(args=["templates", "show", "없는 것"])
    assert missing.exit_code == 1 and "없는 것" in missing.output


@pytest.fixture
def alice(app) -> str:
    make_user(app, "alice", PASSWORD, "sender")
    return "alice"


def send(runner, *extra: str):
    return runner.invoke(args=["send", "--user", "alice", "--from", DEMO_SENDERS[0],
                               "--to", "010-2222-3333", *extra])


def test_send_with_a_template_sends_its_text_subject_and_type(app, runner, backend, alice):
    runner.invoke(args=["templates", "add", "안내", "--text", "곧 도착합니다", "--subject",
                        "배송", "--type", "lms"])
    answer = send(runner, "--template", "안내", "--json")
    assert answer.exit_code == EXIT_OK, answer.output
    [call] = send_calls(backend)
    assert (call.fields["msg"], call.fields["subject"], call.fields["smsType"]) == (
        "곧 도착합니다", "배송", "L")
    assert sends(app)[0].source == "cli"
    again = send(runner, "--template", "안내", "--type", "auto", "--subject", "")
    assert again.exit_code == EXIT_OK, again.output
    assert send_calls(backend)[1].fields["smsType"] == "S"  # the options given win


@pytest.mark.parametrize(("extra", "words"), [
    (("--template", "없는 것"), "없는 것"),
    (("--template", "안내", "--text", "다른 글"), "--template"),
    ((), "text"),
])
def test_send_with_a_wrong_template_or_none_exits_2(app, runner, backend, alice, extra,
                                                    words):
    runner.invoke(args=["templates", "add", "안내", "--text", "곧 도착합니다"])
    answer = send(runner, *extra)
    assert answer.exit_code == EXIT_INVALID, answer.output
    assert words in answer.output
    assert send_calls(backend) == [] and sends(app) == []
