"""Shell commands for bulk jobs: ``flask --app app bulk send|status``.

``bulk send`` reads a list from a file (CSV/TSV in UTF-8 or CP949, ``.xlsx``, ``.xls``) as
the upload page and the API read it (services.lists), checks it against the message and
makes it a job (services.bulk_intake: the same check, job and start as every way in),
logged with source ``cli`` as ``--user``. Then it **runs the job in the foreground**
(``bulk.run``, as a worker would, with a progress bar on a terminal) and exits when no
batch is left; with ``--no-wait`` it wakes the worker (``flask --app app worker``) and
exits at once. A job with ``--send-at`` in the future is always left to the worker. Exit
status, as ``send``'s:

====  ==========================================================================
0     every batch accepted (sent, or checked for a test); with ``--no-wait`` or
      ``--send-at``: the job was made and started (or scheduled)
1     some batch was refused by the gateway (or the job paused on a refusal that
      would repeat: -102, -201, -114, -105), the credit cannot pay for the job, or it
      was cancelled while it ran
2     invalid input: an option, a list that cannot be read or with no row to send, a
      rule of the message, an unknown user or one who may not send; nothing was sent
3     some batch's outcome is unknown: it may have gone out; look at the job before
      sending again
4     some batch did not reach the gateway (the job paused after three in a row):
      nothing of those was sent; resume the job when the gateway is back
====  ==========================================================================
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from pydantic import ValidationError

from smsform import messages
from smsform.api_schemas import InputProblem, JobDraftIn, JobOut, input_problems
from smsform.cli_api import (
    EXIT_INVALID,
    EXIT_NOT_SENT,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNKNOWN,
    Outcome,
    _echo,
    _invalid,
    _refusal,
    _sender_account,
    _undecodable,
)
from smsform.cli_support import DatabaseGroup, OneOf, WholeNumber
from smsform.messages import in_both
from smsform.services import bulk, bulk_intake, lists
from smsform.services.bulk import BulkRefused
from smsform.services.bulk_check import Draft
from smsform.services.bulk_intake import IntakeRefused
from smsform.services.lists import ListRefused
from smsform.services.sending import Actor
from smsform.states import JobPause, JobState

#: How often the progress bar reads the job's figures (seconds).
_POLL = 0.5
#: The pauses that a refusal repeating for every batch causes (exit 1), and the one of the
#: transport (exit 4).
_REFUSED_PAUSES = (JobPause.AUTH, JobPause.CREDIT, JobPause.SENDER, JobPause.BLOCKED)


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(bulk_group)


@click.group("bulk", cls=DatabaseGroup)
def bulk_group() -> None:
    """Bulk jobs: send one message to a list (up to 100,000 rows), read a job."""


def job_body(job_id: int) -> dict[str, Any] | None:
    """A job as the API's ``GET /api/v1/jobs/{id}`` tells it (None: no such job)."""
    job, progress = bulk.get(job_id), bulk.progress(job_id)
    if job is None or progress is None:
        return None
    pause = messages.pause_text(progress.pause_reason) or None
    return JobOut.of(job, progress, pause, bulk.delivery_of(progress)).model_dump(
        mode="json", by_alias=True)


def exit_code(body: dict[str, Any]) -> int:
    """How a job that was run ends the command (see the module's table)."""
    batches = body["batches"]
    if batches["unknown"]:
        return EXIT_UNKNOWN
    if body["state"] == JobState.PAUSED and body["pause_reason"] == JobPause.TRANSPORT:
        return EXIT_NOT_SENT
    if batches["refused"] or body["state"] == JobState.CANCELLED or (
            body["state"] == JobState.PAUSED and body["pause_reason"] in _REFUSED_PAUSES):
        return EXIT_REFUSED
    if batches["not_sent"]:
        return EXIT_NOT_SENT
    return EXIT_OK


def _lines(body: dict[str, Any]) -> list[str]:
    """A job's figures on a few lines (facts as key=value, then the state in words)."""
    batches, recipients = body["batches"], body["recipients"]
    facts = (f"id={body['id']} state={body['state']} "
             f"batches={batches['done']}/{batches['total']} "
             f"accepted={recipients['accepted']} "
             f"refused={recipients['refused']} unknown={recipients['unknown']} "
             f"not_sent={recipients['not_sent']} cancelled={recipients['cancelled']} "
             f"cost={body['cost']}")
    lines = [facts]
    delivery = body.get("delivery")
    if delivery and any(delivery.values()):
        lines.append(" ".join(f"{state}={delivery[state]}" for state in (
            "delivered", "failed", "waiting", "no_report")))
    if body["pause_reason"]:
        lines.append(f"pause_reason={body['pause_reason']}: {body['pause_text']}")
    lines.append(in_both(messages.job_state_text, body["state"]))
    return lines


def _outcome(exit_with: int, body: dict[str, Any], extra: Sequence[str] = ()) -> Outcome:
    return Outcome(exit_with, body, [*_lines(body), *extra])


def _read_list(path: str, phone_column: str | None,
               name_column: str | None) -> lists.ListReport | Outcome:
    """The file read as a list, or why not (exit 2)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _refusal("file_unreadable", lambda: messages.list_file_text(path, reason))
    limits = lists.limits_of(current_app.extensions["smsform.settings"])
    try:
        return lists.read_file(data, os.path.basename(path), limits,
                               lists.Choice(phone_column, name_column))
    except ListRefused as exc:
        refused = exc
        return _refusal("list_unreadable", lambda: messages.refusal_text(refused))


def _not_started(exc: IntakeRefused) -> Outcome:
    """A list that did not become a job: exit 2 (1 when only the credit is short), with
    the row report's first rows."""
    checked = exc.checked
    lines = [in_both(messages.refusal_text, exc.cause or exc)]
    if checked is not None:
        for problem in checked.message_problems:
            lines.append(in_both(messages.api_problem_text, problem))
        for row in checked.problems[:20]:
            lines.append(f"row={row.row} value={row.value} code={row.code}")
        if len(checked.problems) > 20:
            lines.append(f"... {len(checked.problems) - 20} more")
    code = exc.cause.code if exc.cause is not None else exc.code
    body: dict[str, Any] = {"result": "error", "code": code, **exc.params,
                            "detail": lines[0]}
    if checked is not None:
        body["problems"] = [{"row": p.row, "value": p.value, "code": p.code,
                             "first_row": p.first_row} for p in checked.problems]
    return Outcome(EXIT_REFUSED if code == "credit_short" else EXIT_INVALID, body, lines)


@bulk_group.command("send")
@click.option("--user", "username", required=True,
              help="Send as this user (who must be allowed to send); logged with source cli.")
@click.option("--from", "sender", required=True, help="A registered sender number.")
@click.option("--file", "path", required=True,
              help="The list: CSV/TSV (UTF-8 or CP949), .xlsx or .xls, one recipient a row.")
@click.option("--text", required=True,
              help="The message ({name}, {column} merged), or - to read it from standard "
                   "input.")
@click.option("--subject", default="", help="The LMS subject.")
@click.option("--type", "kind", type=OneOf(["auto", "sms", "lms"]), default="auto",
              show_default=True)
@click.option("--test", is_flag=True,
              help="A dry run: every batch checked by the gateway, none sent or charged.")
@click.option("--advertising", is_flag=True,
              help="An advertisement: (광고), the sender's name and the free opt-out line "
                   "written around the text, opted-out numbers left out, no batch from "
                   "21:00 to 08:00 Korea time.")
@click.option("--send-at", default=None,
              help="Start at this time (ISO 8601; Korea time without an offset): the worker "
                   "starts it.")
@click.option("--phone-column", default=None, help="The phone column (header or letter).")
@click.option("--name-column", default=None,
              help="The name column (header or letter); an empty value reads no names.")
@click.option("--pace-ms", type=WholeNumber(0, 600_000), default=None,
              help="Milliseconds between two gateway calls (default: SMSFORM_BULK_PACE_MS).")
@click.option("--no-wait", is_flag=True,
              help="Do not run the job here: wake the worker (flask --app app worker) and "
                   "exit at once.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's job members.")
@with_appcontext
def send_command(username: str, sender: str, path: str, text: str, subject: str, kind: str,
                 test: bool, advertising: bool, send_at: str | None,
                 phone_column: str | None, name_column: str | None, pace_ms: int | None,
                 no_wait: bool, as_json: bool) -> None:
    """Send one message to every number of a list as a bulk job; the exit status says how
    it ended (0 sent, 1 refused, 2 invalid, 3 unknown, 4 not sent)."""
    if text == "-":
        try:
            with click.open_file("-", encoding="utf-8", errors="strict") as stream:
                text = stream.read().rstrip("\n")
        except UnicodeDecodeError:
            text = "\udcff"
    garbled = [InputProblem(name, "not_utf8") for name, value in (
        ("user", username), ("from", sender), ("text", text), ("subject", subject),
        ("send_at", send_at or "")) if _undecodable(value)]
    if garbled:
        _finish(_invalid(garbled), as_json)
    user = _sender_account(username)
    if isinstance(user, Outcome):
        _finish(user, as_json)
    values: dict[str, Any] = {"from": sender, "text": text, "subject": subject,
                              "type": kind, "test": test, "advertising": advertising,
                              "send_at": send_at}
    try:
        body = JobDraftIn.model_validate(values)
    except ValidationError as exc:
        _finish(_invalid(input_problems(exc)), as_json)
    report = _read_list(path, phone_column, name_column)
    if isinstance(report, Outcome):
        _finish(report, as_json)
    draft = Draft(sender=body.sender.strip(), text=body.text, subject=body.subject.strip(),
                  kind=body.kind, test=body.test, advertising=body.advertising,
                  send_at=body.send_at)
    scheduled = body.send_at is not None
    try:
        taken = bulk_intake.submit(report, draft, Actor(user.id, user.username, "cli"),
                                   source="cli", file_name=os.path.basename(path),
                                   pace_ms=pace_ms)
    except IntakeRefused as exc:
        _finish(_not_started(exc), as_json)
    if no_wait or scheduled:
        _finish(_outcome(EXIT_OK, _body(taken.job_id)), as_json)
    _run(taken.job_id, bar=not as_json and sys.stdout.isatty())
    job = _body(taken.job_id)
    _finish(_outcome(exit_code(job), job), as_json)


def _body(job_id: int) -> dict[str, Any]:
    body = job_body(job_id)
    assert body is not None  # a job made here
    return body


def _finish(answer: Outcome, as_json: bool) -> NoReturn:
    """Print the outcome and exit with its status."""
    _echo(answer, as_json)
    raise SystemExit(answer.exit_code)


def worker_name() -> str:
    """This command's name as the job's lease holder."""
    return f"cli-{os.getpid()}"


def run_here(job_id: int) -> None:
    """Run the job until it is no longer running: ``bulk.run`` as this command's worker;
    while another worker holds the job (woken at its start), wait for it, taking the job
    over if that worker's lease runs out."""
    while True:
        bulk.run(job_id, worker_name())
        progress = bulk.progress(job_id)
        if progress is None or progress.state != JobState.RUNNING:
            return
        time.sleep(_POLL)


def _run(job_id: int, *, bar: bool) -> None:
    """Run the job here until no batch is left; on a terminal, with a progress bar that
    follows its batches (the run in a thread, the bar reading the job's figures)."""
    if not bar:
        run_here(job_id)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # noqa: SLF001
    failed: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                run_here(job_id)
            except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
                failed.append(exc)

    runner = threading.Thread(target=work, name=f"bulk-{job_id}", daemon=True)
    runner.start()
    started = bulk.progress(job_id)
    total = started.batch_total if started is not None else 0
    with click.progressbar(length=total, label=in_both(messages.job_bar_label, job_id),
                           show_pos=True) as progress_bar:
        while runner.is_alive():
            runner.join(_POLL)
            now = bulk.progress(job_id)
            done = now.batch_done if now is not None else progress_bar.pos
            progress_bar.update(done - progress_bar.pos)
    if failed:
        raise failed[0]


@bulk_group.command("status")
@click.argument("job_id", type=WholeNumber(1, 2**53))
@click.option("--json", "as_json", is_flag=True, help="Print the API's job members.")
def status_command(job_id: int, as_json: bool) -> None:
    """A job's state, batches and recipients by outcome, and cost (exit 2: no such job)."""
    body = job_body(job_id)
    if body is None:
        missing = BulkRefused("not_found", job=str(job_id))
        _finish(_refusal("not_found", lambda: messages.refusal_text(missing)), as_json)
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False))
        return
    for line in _lines(body):
        click.echo(line)
