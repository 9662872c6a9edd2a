"""Shell commands for scripts and cron: ``flask --app app send|balance|senders`` and
``flask --app app token create|list|revoke``.

``send`` reads its options into the API's own request model (``api_schemas.MessageIn``),
so a send from the shell is checked, logged (source ``cli``, as ``--user``) and sent once
like one from the API, and ``--json`` prints the API's members. Its exit status:

====  ==========================================================================
0     accepted: sent, reserved, or a test
1     refused by the gateway (its code is printed), or its cost is over the credit
      left (``credit_short``, with needed, credit and shortfall); nothing was sent
2     invalid input (an option, a rule of the message, an unknown user or one who
      may not send, an Idempotency-Key used for another message); nothing was sent
3     outcome unknown: the message may have gone out; look it up before sending again
      (also: the same ``--idempotency-key`` is being sent right now)
4     not sent: the gateway was not reached; nothing was sent, safe to try again
====  ==========================================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from click.core import ParameterSource
from flask import Flask
from flask.cli import with_appcontext
from pydantic import ValidationError

from cafe24.errors import Cafe24Error
from smsform import messages
from smsform.api_schemas import Balance, InputProblem, MessageIn, MessageSent, api_field
from smsform.api_schemas import input_problems as read_problems
from smsform.cli_support import DatabaseGroup, OneOf, needs_database, refusals_end
from smsform.messages import in_both, terminal_time
from smsform.permissions import Permission
from smsform.services import (
    accounts,
    api_messages,
    api_tokens,
    contacts,
    gateway,
    optouts,
    sending,
    templates,
)
from smsform.services.audit import CLI_ACTOR
from smsform.services.sending import Actor, SendKey, SendOrder, SendResult, Status
from smsform.services.templates import TemplateError
from smsform.states import Result

EXIT_OK, EXIT_REFUSED, EXIT_INVALID, EXIT_UNKNOWN, EXIT_NOT_SENT = 0, 1, 2, 3, 4
#: The exit status of each logged result.
_EXIT_OF_RESULT: dict[str, int] = {
    Result.SUCCESS: EXIT_OK, Result.RESERVED: EXIT_OK, Result.TEST: EXIT_OK,
    Result.REFUSED: EXIT_REFUSED, Result.UNKNOWN: EXIT_UNKNOWN, Result.PENDING: EXIT_UNKNOWN,
    Result.NOT_SENT: EXIT_NOT_SENT}


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    for command in (send_command, balance_command, senders_command, token_group):
        app.cli.add_command(command)


@dataclass(frozen=True)
class Outcome:
    """What ``send`` prints and how it exits."""

    exit_code: int
    body: dict[str, Any]
    lines: list[str] = field(default_factory=list)


def _invalid(own: list[InputProblem], problems=()) -> Outcome:
    errors: dict[str, list[str]] = {}
    for item in own:
        errors.setdefault(item.field, []).append(
            in_both(lambda i=item: messages.api_input_text(i.code, i.params)))
    for problem in problems:
        errors.setdefault(api_field(problem), []).append(
            in_both(lambda p=problem: messages.api_problem_text(p)))
    lines = [f"{name}: {text}" for name, texts in errors.items() for text in texts]
    return Outcome(EXIT_INVALID, {"result": "invalid", "code": "invalid", "errors": errors},
                   lines)


def _refusal(code: str, words: Callable[[], str], exit_code: int = EXIT_INVALID) -> Outcome:
    text = in_both(words)
    return Outcome(exit_code, {"result": "error", "code": code, "detail": text}, [text])


def outcome(result: SendResult, user: accounts.SignedInUser) -> Outcome:
    """The one place a send's result becomes an exit status and what is printed."""
    status = result.status
    if status is Status.INVALID:
        return _invalid([], result.problems)
    if status in (Status.KEY_INVALID, Status.TOKEN_INVALID):
        return _refusal("invalid_idempotency_key", lambda: messages.api_input_text(
            "invalid_idempotency_key", {"max": sending.MAX_KEY_LENGTH}))
    if status is Status.KEY_MISMATCH:
        return _refusal("idempotency_key_reused", lambda: messages.api_input_text(
            "idempotency_key_reused", {}))
    row = api_messages.answer_row(result, user_id=user.id, user=user.username, source="cli")
    if status is Status.IN_FLIGHT or row is None:
        return _refusal("in_flight", lambda: messages.api_input_text("in_flight", {}),
                        EXIT_UNKNOWN)
    body = MessageSent.of(row).model_dump(mode="json")
    if status is Status.CREDIT_SHORT:  # refused here, as the gateway would have (-201)
        body.update(result.problems[0].params, code=Status.CREDIT_SHORT.value)
        text = in_both(lambda: messages.send_result_text(result))
        body["detail"] = text
        facts = " ".join(f"{key}={value}" for key, value in body.items() if key != "detail")
        return Outcome(EXIT_REFUSED, body, [facts, text])
    text = in_both(lambda: messages.log_code_text(row.result, row.code, row.detail))
    if status is Status.DUPLICATE:
        body["replayed"] = True
    if row.result not in Result.ACCEPTED:
        body["detail"] = text
    facts = " ".join(f"{key}={value}" for key, value in body.items() if key != "detail")
    return Outcome(_EXIT_OF_RESULT[row.result], body, [facts, text, *_optout_lines(result)])


def _optout_lines(result: SendResult) -> list[str]:
    """What the opt-out list did: the numbers an advertisement left out, or the notice of
    how many opted-out numbers another send reached."""
    lines = [in_both(messages.problem_text, notice) for notice in result.notices
             if notice.code == optouts.OPTED_OUT_NOTICE]
    if result.excluded:
        lines.append(in_both(messages.excluded_text, len(result.excluded)) + ": "
                     + ", ".join(e.phone for e in result.excluded))
    return lines


def _undecodable(value: str) -> bool:
    """True when ``value`` holds bytes that were not UTF-8 (surrogate-escaped by Python)."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _echo(answer: Outcome, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(answer.body, ensure_ascii=False))
        return
    for line in answer.lines:
        click.echo(line, err=answer.exit_code != EXIT_OK)


def _sender_account(username: str) -> accounts.SignedInUser | Outcome:
    """The active account named ``username`` that may send, or why not (exit 2)."""
    try:
        account = accounts.find_user(username)
    except accounts.AccountError as exc:
        refused = exc  # the except clause unbinds exc; the words are made later
        return _refusal("unknown_user", lambda: messages.refusal_text(refused))
    user = accounts.signed_in(account)
    if not account.active or not user.can(Permission.SEND):
        return _refusal("forbidden", lambda: messages.api_input_text(
            "may_not_send", {"username": account.username}))
    return user


def _read(values: dict[str, Any]) -> tuple[Any, Outcome | None]:
    """The options as the API's request, or the exit-2 outcome naming every problem."""
    try:
        body = MessageIn.model_validate(values)
    except ValidationError as exc:
        return None, _invalid(read_problems(exc))
    if missing := body.text_problems():  # --text or --template
        return None, _invalid(missing)
    send_request, reading, own = body.to_request()
    if own:
        return None, _invalid(own, [*reading, *send_request.problems()])
    return (send_request, reading), None


def _with_template(values: dict[str, Any], ref: str) -> dict[str, Any] | Outcome:
    """``values`` with the template's text, and its subject and type where the options were
    left at their defaults (advertising when it is one, or ``--advertising`` says so); exit 2
    for an unknown template or a text given too."""
    if values["text"] is not None:
        return _invalid([InputProblem("template", "text_and_template")])
    try:
        saved = templates.find(ref)
    except TemplateError as exc:
        missing = exc
        return _refusal("not_found", lambda: messages.refusal_text(missing))
    source = click.get_current_context().get_parameter_source
    given = {"subject": source("subject") is not ParameterSource.DEFAULT,
             "type": source("kind") is not ParameterSource.DEFAULT}
    return {**values, "text": saved.text,
            "subject": values["subject"] if given["subject"] else saved.subject,
            "type": values["type"] if given["type"] else saved.kind,
            "advertising": bool(values.get("advertising")) or saved.advertising}


@click.command("send")
@click.option("--user", "username", required=True,
              help="Send as this user (who must be allowed to send); logged with source cli.")
@click.option("--from", "sender", required=True, help="A registered sender number.")
@click.option("--to", "recipients", multiple=True,
              help="A recipient's number; repeat for more.")
@click.option("--group", "groups", multiple=True,
              help="An address book group whose contacts are added (names fill {name}); "
                   "repeat for more.")
@click.option("--text", default=None,
              help="The message, or - to read it from standard input (or --template).")
@click.option("--template", "template_ref", default=None,
              help="Send a saved template's text (by name or id), its subject and type too "
                   "unless given.")
@click.option("--subject", default="", help="The LMS subject.")
@click.option("--type", "kind", type=OneOf(["auto", "sms", "lms"]), default="auto",
              show_default=True)
@click.option("--test", is_flag=True, help="A dry run: checked by the gateway, not sent.")
@click.option("--advertising", is_flag=True,
              help="An advertisement: (광고), the sender's name and the free opt-out line are "
                   "written around the text; refused from 21:00 to 08:00 Korea time.")
@click.option("--reserve-at", default=None,
              help="ISO 8601 date and time; Korea time without an offset.")
@click.option("--idempotency-key", default=None,
              help="Send once for this key: a rerun with the same key sends nothing again.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON members.")
@with_appcontext
@needs_database
def send_command(username: str, sender: str, recipients: tuple[str, ...],
                 groups: tuple[str, ...], text: str | None, template_ref: str | None,
                 subject: str, kind: str, test: bool, advertising: bool,
                 reserve_at: str | None, idempotency_key: str | None, as_json: bool) -> None:
    """Send one message once; the exit status says how it ended (0 sent, 1 refused,
    2 invalid, 3 unknown, 4 not sent)."""
    if text == "-":
        try:
            with click.open_file("-", encoding="utf-8", errors="strict") as stream:
                text = stream.read().rstrip("\n")
        except UnicodeDecodeError:
            text = "\udcff"  # judged below with the options: not UTF-8
    garbled = [InputProblem(name, "not_utf8") for name, value in (
        ("user", username), ("from", sender), ("to", " ".join(recipients)),
        ("text", text or ""), ("template", template_ref or ""),
        ("subject", subject), ("reserve_at", reserve_at or ""),
        ("idempotency_key", idempotency_key or "")) if _undecodable(value)]
    if garbled:  # bytes the terminal could not read as UTF-8 (Python keeps them as surrogates)
        _echo(_invalid(garbled), as_json)
        raise SystemExit(EXIT_INVALID)
    user = _sender_account(username)
    if isinstance(user, Outcome):
        _echo(user, as_json)
        raise SystemExit(user.exit_code)
    values: dict[str, Any] = {"from": sender, "to": list(recipients), "text": text,
                              "subject": subject, "type": kind, "reserve_at": reserve_at,
                              "test": test, "advertising": advertising}
    if template_ref is not None:
        filled = _with_template(values, template_ref)
        if isinstance(filled, Outcome):
            _echo(filled, as_json)
            raise SystemExit(filled.exit_code)
        values = filled
    read, problem = _read({k: v for k, v in values.items() if v is not None})
    if problem is not None:
        _echo(problem, as_json)
        raise SystemExit(problem.exit_code)
    send_request, reading = read
    group_ids = _group_ids(groups)
    if group_ids:
        reading = [p for p in reading if p.code not in contacts.PLACEHOLDER_CODES]
    result = sending.submit(SendOrder(send_request, Actor(user.id, user.username, "cli"),
                                      SendKey.header(idempotency_key),
                                      input_problems=tuple(reading), groups=group_ids,
                                      advertising=bool(values["advertising"])))
    answer = outcome(result, user)
    _echo(answer, as_json)
    raise SystemExit(answer.exit_code)


def _group_ids(names: tuple[str, ...]) -> tuple[int, ...]:
    """The ids of the groups named; a name that is no group ends the command (exit 2)."""
    ids = []
    for name in names:
        group = contacts.find_group(name)
        if group is None:
            click.echo(in_both(messages.refusal_text,
                               contacts.ContactError("no_such_group", id=name)), err=True)
            raise SystemExit(EXIT_INVALID)
        ids.append(group.id)
    return tuple(ids)


def _gateway_failed(exc: Cafe24Error) -> None:
    click.echo(in_both(lambda: messages.gateway_failure_text(exc)), err=True)
    raise SystemExit(EXIT_NOT_SENT)


@click.command("balance")
@click.option("--json", "as_json", is_flag=True, help='Print {"remaining", "sms", "lms"}.')
@with_appcontext
def balance_command(as_json: bool) -> None:
    """The credits left and how many SMS or LMS they buy (exit 4 when the gateway fails)."""
    try:
        credit = Balance.of(gateway.client().remaining())
    except Cafe24Error as exc:
        _gateway_failed(exc)
        return
    if as_json:
        click.echo(json.dumps(credit.model_dump(mode="json")))
    else:
        click.echo(f"remaining={credit.remaining} sms={credit.sms} lms={credit.lms}")


@click.command("senders")
@click.option("--json", "as_json", is_flag=True, help='Print {"senders": [...]}.')
@with_appcontext
def senders_command(as_json: bool) -> None:
    """The registered sender numbers, one a line (exit 4 when the gateway fails)."""
    try:
        numbers = gateway.gateway().senders()
    except Cafe24Error as exc:
        _gateway_failed(exc)
        return
    click.echo(json.dumps({"senders": numbers}) if as_json else "\n".join(numbers))


# --- API tokens --------------------------------------------------------------------------


@click.group("token", cls=DatabaseGroup)
def token_group() -> None:
    """Manage API tokens (each made or revoked is audited with actor cli)."""


@token_group.command("create")
@click.option("--user", "username", required=True, help="Whose token (it acts with their role).")
@click.option("--name", "label", required=True, help="What uses it, e.g. shop-orders.")
@click.option("--read-only", "read_only", is_flag=True,
              help="It may list and read, never send (POST /api/v1/messages answers 403).")
@click.option("--json", "as_json", is_flag=True, help='Print exactly {"token": ...}.')
def create_token(username: str, label: str, read_only: bool, as_json: bool) -> None:
    """Make a token; it is printed this once and kept only as a digest."""
    account = refusals_end(lambda: accounts.find_user(username))
    issued = refusals_end(lambda: api_tokens.create(account, label, by=CLI_ACTOR,
                                                    read_only=read_only))
    if as_json:
        click.echo(json.dumps({"token": issued.token}))
        return
    click.echo(f"created token {issued.id} {issued.name} for {account.username}")
    click.echo(issued.token)
    click.echo("The token is shown only now; it cannot be shown again.")


@token_group.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def list_tokens(username: str | None) -> None:
    """Tokens (never their values): id, user, name, prefix, created, last use, state."""
    user_id = refusals_end(lambda: accounts.find_user(username)).id if username else None
    click.echo("id\tuser\tname\tprefix\tcreated\tlast_used\tstate")
    for token in api_tokens.list_tokens(user_id):
        state = "active" if token.active else f"revoked {terminal_time(token.revoked_at)}"
        if token.read_only:
            state += " read-only"
        click.echo("\t".join([str(token.id), token.user, token.name, token.prefix,
                              terminal_time(token.created_at),
                              terminal_time(token.last_used_at), state]))


@token_group.command("revoke")
@click.argument("ref")
@click.option("--user", "username", required=True, help="Whose token.")
def revoke_token(ref: str, username: str) -> None:
    """Revoke a user's token by id or name: it stops at once."""
    account = refusals_end(lambda: accounts.find_user(username))
    token = refusals_end(lambda: api_tokens.find(account.id, ref))
    changed = refusals_end(lambda: api_tokens.revoke(token.id, user_id=account.id,
                                                     by=CLI_ACTOR))
    click.echo(f"revoked token {token.id} {token.name}" if changed
               else f"token {token.id} {token.name} was already revoked")

