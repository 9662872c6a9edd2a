"""``flask --app app delivery sync``: the delivery sync from the shell (cron, or by hand),
the same ``services.delivery.sync`` the worker runs every ``SMSFORM_DELIVERY_EVERY``
minutes. It prints what it read and wrote in Korean, then English (``--json``: the
figures); it exits 1 when the gateway stopped it (``-102``, a transport failure), with
the reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from flask import Flask, current_app

from smsform import messages
from smsform.cli_support import DatabaseGroup
from smsform.messages import in_both
from smsform.services import delivery


def register(app: Flask) -> None:
    """Attach ``delivery`` to the app."""
    app.cli.add_command(delivery_group)


@click.group("delivery", cls=DatabaseGroup)
def delivery_group() -> None:
    """Delivery status: each recipient's outcome from the gateway's result list."""


@delivery_group.command("sync")
@click.option("--days", type=click.IntRange(1, 7), default=None,
              help="Read at most this many days back (default: back to the oldest send "
                   "still waiting, at most the list's 7).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def sync_command(days: int | None, as_json: bool) -> None:
    """Read the gateway's result list and write each waiting recipient's outcome."""
    settings = current_app.extensions["smsform.settings"]
    report = delivery.sync(days=days, windows=delivery.windows_of(settings))
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False, sort_keys=True))
    else:
        click.echo(in_both(messages.sync_summary_text, report))
    if report.stopped:
        click.echo(in_both(messages.sync_stopped_text, report.stopped, report.detail),
                   err=True)
        raise SystemExit(1)
