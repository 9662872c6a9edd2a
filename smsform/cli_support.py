"""What the CLI's commands share: a service's refusal ends a command with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from smsform import messages
from smsform.services.refusals import Refusal

T = TypeVar("T")


def refusals_end(step: Callable[[], T]) -> T:
    """Run one step of a command; a ``Refusal`` ends the command with its reason, in Korean
    and then English (exit 1)."""
    try:
        return step()
    except Refusal as exc:
        raise click.ClickException(messages.in_both(messages.refusal_text, exc)) from None
