"""``flask --app app templates list|show|add|edit|delete``: the team's saved texts from the
shell, through ``services.templates`` (the same rules as the pages; every change audited
with actor ``cli``). A refusal ends the command with its reason in Korean, then English,
each problem of a text on a line of its own (exit 1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask

from smsform import messages
from smsform.api_schemas import TemplateOut
from smsform.cli_support import DatabaseGroup, OneOf
from smsform.messages import in_both, terminal_time
from smsform.services import templates
from smsform.services.audit import CLI_ACTOR
from smsform.services.templates import KINDS, SavedText, TemplateError

T = TypeVar("T")


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(templates_group)


def _judged(step: Callable[[], T]) -> T:
    """Run one step; a TemplateError ends the command with its reason and, for a text that
    would not send, every problem of it (exit 1)."""
    try:
        return step()
    except TemplateError as exc:
        lines = [in_both(messages.refusal_text, exc)]
        lines += [f"- {in_both(messages.problem_text, problem)}" for problem in exc.problems]
        raise click.ClickException("\n".join(lines)) from None


def _text(value: str | None) -> str | None:
    """``-``: the text from standard input (its last newline dropped)."""
    if value != "-":
        return value
    with click.open_file("-", encoding="utf-8") as stream:
        return stream.read().rstrip("\n")


def _members(saved: SavedText) -> dict[str, Any]:
    """A template as ``--json`` prints it (the API's members)."""
    return TemplateOut.of(saved).model_dump(mode="json")


@click.group("templates", cls=DatabaseGroup)
def templates_group() -> None:
    """The team's saved message templates (each change audited with actor cli)."""


@templates_group.command("list")
@click.option("--json", "as_json", is_flag=True, help='Print {"items": [...]} as the API.')
def list_templates(as_json: bool) -> None:
    """Every template by name: id, name, type, advertising, merge fields, last change."""
    found = templates.list_all()
    if as_json:
        click.echo(json.dumps({"items": [_members(t) for t in found]}, ensure_ascii=False))
        return
    click.echo("id\tname\ttype\tadvertising\tfields\tbytes\tupdated\tby")
    for saved in found:
        click.echo("\t".join([
            str(saved.id), saved.name, saved.kind, "yes" if saved.advertising else "no",
            " ".join("{" + f + "}" for f in saved.fields) or "-", str(saved.length),
            terminal_time(saved.updated_at), saved.updated_by]))


@templates_group.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the API's members.")
def show_template(ref: str, as_json: bool) -> None:
    """One template (by name or id): its facts, then its text."""
    saved = _judged(lambda: templates.find(ref))
    if as_json:
        click.echo(json.dumps(_members(saved), ensure_ascii=False))
        return
    click.echo(f"{saved.id}\t{saved.name}\t{saved.kind}"
               f"{chr(9) + 'advertising' if saved.advertising else ''}")
    if saved.subject:
        click.echo(f"subject: {saved.subject}")
    click.echo(saved.text)


@templates_group.command("add")
@click.argument("name")
@click.option("--text", required=True, help="The text, or - to read it from standard input.")
@click.option("--subject", default="", help="The LMS subject.")
@click.option("--type", "kind", type=OneOf(list(KINDS)), default="auto", show_default=True)
@click.option("--advertising", is_flag=True, help="An advertising message (광고성).")
def add_template(name: str, text: str, subject: str, kind: str, advertising: bool) -> None:
    """Save a new template; its text is checked as a send's."""
    body = _text(text) or ""
    saved = _judged(lambda: templates.create(name, body, subject=subject, kind=kind,
                                             advertising=advertising, by=CLI_ACTOR))
    click.echo(f"saved template {saved.id} {saved.name}")


@templates_group.command("edit")
@click.argument("ref")
@click.option("--name", default=None, help="A new name.")
@click.option("--text", default=None, help="A new text, or - to read it from standard input.")
@click.option("--subject", default=None, help="A new LMS subject ('' for none).")
@click.option("--type", "kind", type=OneOf(list(KINDS)), default=None)
@click.option("--advertising/--not-advertising", default=None,
              help="Mark it an advertising message, or not.")
def edit_template(ref: str, name: str | None, text: str | None, subject: str | None,
                  kind: str | None, advertising: bool | None) -> None:
    """Change a template (by name or id); what is not given stays."""
    saved = _judged(lambda: templates.find(ref))
    new_text = _text(text)
    changed = _judged(lambda: templates.change(
        saved.id, saved.name if name is None else name,
        saved.text if new_text is None else new_text,
        subject=saved.subject if subject is None else subject,
        kind=saved.kind if kind is None else kind,
        advertising=saved.advertising if advertising is None else advertising,
        by=CLI_ACTOR))
    click.echo(f"saved template {changed.id} {changed.name}")


@templates_group.command("delete")
@click.argument("ref")
def delete_template(ref: str) -> None:
    """Delete a template (by name or id); the send log keeps what was sent with it."""
    saved = _judged(lambda: templates.find(ref))
    gone = _judged(lambda: templates.remove(saved.id, by=CLI_ACTOR))
    click.echo(f"deleted template {gone.id} {gone.name}")
