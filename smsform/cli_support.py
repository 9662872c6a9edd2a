"""What the CLI's commands share: a service's refusal ends a command with its reason, a
command that needs the database first checks that it was created, and options whose bad
values exit 2 naming the option in Korean, then English."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from smsform import messages
from smsform.database import created
from smsform.errors import database_not_created_text
from smsform.services.refusals import Refusal

T = TypeVar("T")


def refusals_end(step: Callable[[], T]) -> T:
    """Run one step of a command; a ``Refusal`` ends the command with its reason, in Korean
    and then English (exit 1)."""
    try:
        return step()
    except Refusal as exc:
        raise click.ClickException(messages.in_both(messages.refusal_text, exc)) from None


def require_created() -> None:
    """For a shell command: end it (exit 1) saying how to create the database when it has
    none of its tables, instead of the first statement's traceback."""
    if not created():
        raise click.ClickException(messages.in_both(database_not_created_text))


def needs_database(command: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a shell command that reads or writes the database: it first checks that the
    database was created (in the app context, after its options were read)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        require_created()
        return command(*args, **kwargs)

    return run


class DatabaseGroup(AppGroup):
    """A command group whose every command needs the database (``needs_database``)."""

    # Flask's AppGroup.command drops click's bare form (@group.command) the same way, and
    # ignores the override the same way.
    def command(self, *args: Any, **kwargs: Any) -> Callable[  # type: ignore[override]
            [Callable[..., Any]], click.Command]:
        """Like ``AppGroup.command``, with the database check before the command runs."""
        register = super().command(*args, **kwargs)
        return lambda f: register(needs_database(f))


def app_context(ctx: click.Context | None) -> AbstractContextManager[object]:
    """The app context for a parameter's check (its words, the database): ``flask`` has
    pushed it before parsing, a test's runner has not. Popped when the check ends, since a
    context whose parsing failed is never closed."""
    if ctx is None or current_app:
        return nullcontext()
    return ctx.ensure_object(ScriptInfo).load_app().app_context()


#: The most digits a number option is read with (more is refused before int() sees it).
_MAX_DIGITS = 18


class WholeNumber(click.ParamType):
    """A whole number from ``low`` to ``high`` in ASCII digits; anything else exits 2 naming
    the option, in Korean and English (click's own ``int`` answers in English only, and
    Python's ``int`` reads "²" as a digit but not as a number)."""

    name = "integer"

    def __init__(self, low: int, high: int, *, grouped: bool = True) -> None:
        self.low, self.high, self.grouped = low, high, grouped

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        """The number, or a usage error (exit 2)."""
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if re.fullmatch(rf"[0-9]{{1,{_MAX_DIGITS}}}", text) and self.low <= int(text) <= self.high:
            return int(text)
        with app_context(ctx):
            words = messages.in_both(messages.whole_number_text, text, self.low, self.high,
                            self.grouped)
        self.fail(words, param, ctx)


class OneOf(click.Choice):
    """One of ``choices``; anything else exits 2 naming the option and the choices, in
    Korean and English (click's own words are English only)."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        """Why ``value`` is refused, in both languages."""
        with app_context(ctx):
            return messages.in_both(messages.choice_text, str(value),
                                    [str(c) for c in self.choices])
