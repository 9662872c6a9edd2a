"""`flask --app app bulk send|status` end to end against the simulator: a CP949 file made
a job and run in the foreground, its exit statuses, --json with the API's members,
--no-wait and --send-at left to the worker, and status."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from cafe24.schedule import KST
from simulator import DEMO_SENDERS
from smsform.cli_api import EXIT_INVALID, EXIT_NOT_SENT, EXIT_OK, EXIT_REFUSED, EXIT_UNKNOWN
from smsform.cli_bulk import exit_code
from smsform.services import bulk, delivery
from tests.api_support import PASSWORD, bearer, sends, token_user
from tests.bulk_support import sent_numbers
from tests.lists_support import csv_bytes
from tests.support import build_app, make_user, send_calls

SENDER = DEMO_SENDERS[0]


@pytest.fixture
def alice(app) -> str:
    """A sender named alice."""
    make_user(app, "alice", PASSWORD, "sender")
    return "alice"


@pytest.fixture
def customers(tmp_path):
    """A CP949 CSV as Excel in Korea saves it: three customers, one bad row, a duplicate."""
    path = tmp_path / "고객.csv"
    path.write_bytes(csv_bytes([
        ("이름", "휴대폰", "지점"), ("홍길동", "010-4444-0001", "강남"),
        ("김철수", "010-4444-0002", "종로"), ("박민수", "0104444", "강남"),
        ("이영희", "010-4444-0003", "강남"), ("홍길동", "01044440001", "강남")],
        encoding="cp949"))
    return str(path)


def bulk_send(runner, path: str, *extra: str, text: str = "{name}님, {지점}점 안내입니다.",
              user: str = "alice", input: str | None = None):
    return runner.invoke(args=["bulk", "send", "--user", user, "--from", SENDER, "--file",
                               path, "--text", text, *extra], input=input)


def test_a_file_is_sent_as_a_job_in_the_foreground(app, runner, backend, alice, customers):
    answer = bulk_send(runner, customers, "--json")
    assert answer.exit_code == EXIT_OK, answer.output
    body = json.loads(answer.output)
    assert (body["state"], body["source"], body["user"]) == ("done", "cli", "alice")
    assert body["counts"]["recipients"] == 3
    assert (body["counts"]["refused"], body["counts"]["duplicates"]) == (1, 1)
    assert body["batches"]["accepted"] == body["batches"]["total"] == 2
    assert sorted(sent_numbers(backend)) == ["010-4444-0001", "010-4444-0002",
                                             "010-4444-0003"]
    assert {row.source for row in sends(app)} == {"bulk"}
    with app.app_context():
        [job] = bulk.jobs_of(None)[0]
    assert job.file_name == "고객.csv" and job.source == "cli"


def test_the_json_members_are_the_apis(app, client, runner, alice, customers):
    cli = json.loads(bulk_send(runner, customers, "--json").output)
    token = token_user(app, "sender", "bob")
    api = client.get(f"/api/v1/jobs/{cli['id']}", headers=bearer(token)).get_json()
    assert api is not None
    admin = token_user(app, "admin", "root")
    api = client.get(f"/api/v1/jobs/{cli['id']}", headers=bearer(admin)).get_json()
    assert set(cli) == set(api)
    assert {k: cli[k] for k in ("state", "counts", "batches", "recipients", "cost")} == {
        k: api[k] for k in ("state", "counts", "batches", "recipients", "cost")}


def test_plain_output_says_the_figures_and_the_state(runner, alice, customers):
    answer = bulk_send(runner, customers, "--test")
    assert answer.exit_code == EXIT_OK, answer.output
    first = answer.output.splitlines()[0]
    assert "state=done" in first and "accepted=3" in first and "cost=0" in first


def test_the_text_may_come_from_standard_input(app, runner, backend, alice, customers):
    answer = bulk_send(runner, customers, text="-", input="{name}님\n안내입니다\n")
    assert answer.exit_code == EXIT_OK, answer.output
    assert {c.fields["msg"] for c in send_calls(backend)} == {"{name}님\n안내입니다"}


@pytest.mark.parametrize("extra", [
    ("--type", "fax"), ("--send-at", "tomorrow"), ("--pace-ms", "-1"),
])
def test_bad_options_exit_2_and_send_nothing(app, runner, backend, alice, customers, extra):
    answer = bulk_send(runner, customers, *extra)
    assert answer.exit_code == EXIT_INVALID, answer.output
    assert send_calls(backend) == []


def test_a_list_that_cannot_be_used_exits_2(app, runner, backend, alice, tmp_path):
    binary = tmp_path / "a.csv"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert bulk_send(runner, str(binary)).exit_code == EXIT_INVALID
    assert bulk_send(runner, str(tmp_path / "missing.csv")).exit_code == EXIT_INVALID
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([("phone",), ("nope",), ("010-12",)]))
    answer = bulk_send(runner, str(bad), "--json", text="안내")
    assert answer.exit_code == EXIT_INVALID
    body = json.loads(answer.output)
    assert body["code"] == "nothing_to_send" and len(body["problems"]) == 2
    with app.app_context():
        assert bulk.jobs_of(None)[0] == []
    assert send_calls(backend) == []


def test_a_user_who_may_not_send_exits_2(app, runner, backend, customers):
    make_user(app, "vera", PASSWORD, "viewer")
    assert bulk_send(runner, customers, user="vera").exit_code == EXIT_INVALID
    assert bulk_send(runner, customers, user="nobody").exit_code == EXIT_INVALID
    assert send_calls(backend) == []


def test_a_job_the_credit_cannot_pay_for_exits_1(app, runner, backend, alice, customers):
    backend.accounts["demo"].credits = 3
    assert runner.invoke(args=["send", "--user", "alice", "--from", SENDER, "--to",
                               "010-7777-0001", "--text", "hi"]).exit_code == EXIT_OK
    answer = bulk_send(runner, customers, "--json")
    assert answer.exit_code == EXIT_REFUSED, answer.output
    assert json.loads(answer.output)["code"] == "credit_short"
    assert len(send_calls(backend)) == 1


def test_a_refused_batch_exits_1_and_pauses_the_job(app, runner, backend, alice, customers):
    answer = runner.invoke(args=["bulk", "send", "--user", "alice", "--from",
                                 "010-9999-1234", "--file", customers, "--text", "안내",
                                 "--json"])
    assert answer.exit_code == EXIT_REFUSED, answer.output
    body = json.loads(answer.output)
    assert (body["state"], body["pause_reason"]) == ("paused", "sender")
    assert body["pause_text"]


def test_no_wait_and_send_at_leave_the_job_to_the_worker(app, runner, backend, alice,
                                                         customers):
    answer = bulk_send(runner, customers, "--no-wait", "--json")
    assert answer.exit_code == EXIT_OK
    assert json.loads(answer.output)["state"] == "running"
    later = (datetime.now(KST) + timedelta(days=2)).replace(hour=10, minute=0)
    answer = bulk_send(runner, customers, "--send-at", later.strftime("%Y-%m-%dT%H:%M"),
                       "--json")
    assert answer.exit_code == EXIT_OK
    assert json.loads(answer.output)["state"] == "scheduled"
    assert send_calls(backend) == []


def test_status_reads_a_job_and_its_delivery(app, runner, alice, customers, clock):
    job_id = json.loads(bulk_send(runner, customers, "--json").output)["id"]
    answer = runner.invoke(args=["bulk", "status", str(job_id)])
    assert answer.exit_code == 0
    assert f"id={job_id} state=done" in answer.output
    body = json.loads(runner.invoke(args=["bulk", "status", str(job_id), "--json"]).output)
    assert body["id"] == job_id and body["state"] == "done"
    assert body["delivery"] == {"delivered": 0, "failed": 0, "waiting": 3, "no_report": 0}
    assert "delivered=0 failed=0 waiting=3 no_report=0" in answer.output
    with app.app_context():
        delivery.sync(windows=delivery.Windows(pace=0))
    synced = json.loads(runner.invoke(args=["bulk", "status", str(job_id), "--json"]).output)
    assert synced["delivery"]["waiting"] == 0
    assert synced["delivery"]["delivered"] + synced["delivery"]["failed"] == 3
    missing = runner.invoke(args=["bulk", "status", "9999", "--json"])
    assert missing.exit_code == EXIT_INVALID
    assert json.loads(missing.output)["code"] == "not_found"


@pytest.mark.parametrize(("body", "code"), [
    ({"state": "done", "pause_reason": None, "batches": {"unknown": 1, "refused": 0,
                                                         "not_sent": 0}}, EXIT_UNKNOWN),
    ({"state": "paused", "pause_reason": "transport", "batches": {
        "unknown": 0, "refused": 0, "not_sent": 3}}, EXIT_NOT_SENT),
    ({"state": "paused", "pause_reason": "credit", "batches": {
        "unknown": 0, "refused": 1, "not_sent": 0}}, EXIT_REFUSED),
    ({"state": "cancelled", "pause_reason": None, "batches": {
        "unknown": 0, "refused": 0, "not_sent": 0}}, EXIT_REFUSED),
    ({"state": "paused", "pause_reason": "night", "batches": {
        "unknown": 0, "refused": 0, "not_sent": 0}}, EXIT_OK),
])
def test_each_ending_has_its_exit_status(body, code):
    assert exit_code(body) == code


def test_on_a_terminal_the_run_follows_a_progress_bar(backend, tmp_path, capsys):
    """The bar's path: the run in a thread of its own, the bar reading the job's figures
    until no batch is left (its drawing is click's). On a file database, as a real one:
    the thread and the bar each on a connection of their own."""
    from smsform import cli_bulk
    from tests.bulk_support import make_job, phones

    app = build_app(backend, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bar.db'}")
    job_id = make_job(app, phones(5), per_batch=2)
    with app.app_context():
        bulk.start(job_id, None, "cli")
        cli_bulk._run(job_id, bar=True)
        progress = bulk.progress(job_id)
    assert (progress.state, progress.batch_done) == ("done", 3)
    assert len(send_calls(backend)) == 3
    assert f"Job {job_id}" in capsys.readouterr().out
