"""What the CLI's commands share: a service's refusal ends a command with its reason, and a
command that needs the database first checks that it was created."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

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
