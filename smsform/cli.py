"""Shell commands: ``flask --app app user create`` and ``flask --app app simulator``."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale

from smsform import messages
from smsform.permissions import DEFAULT_ROLE, ROLES
from smsform.services import accounts


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(user)
    app.cli.add_command(simulator_command)


def _in_both(words: Callable[..., str], *args: object) -> str:
    """A message for the terminal in Korean, then English: one whole sentence in each."""
    with force_locale("ko"):
        korean = words(*args)
    with force_locale("en"):
        english = words(*args)
    return korean if korean == english else f"{korean} ({english})"


@click.group(cls=AppGroup)  # AppGroup runs each command inside the app context
def user() -> None:
    """Manage staff accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default=DEFAULT_ROLE, show_default=True)
@click.password_option(prompt="Password", confirmation_prompt="Repeat the password")
def create_user(username: str, role: str, password: str) -> None:
    """Create a staff account (prompts for the password twice)."""
    try:
        accounts.create_user(username, password, role)
    except accounts.AccountError as exc:
        raise click.ClickException(_in_both(messages.account_error_text, exc)) from None
    click.echo(f"created {role} {username.strip()}")


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--user-id", default="demo", show_default=True)
@click.option("--secure-key", default="demo-secure-key", show_default=True)
@click.option("--sender", "senders", multiple=True,
              help="Registered sender number; repeat for more.")
@click.option("--credits", default=1000, show_default=True, type=int)
@click.option("--verbose", is_flag=True, help="Log every request line.")
def simulator_command(host: str, port: int, user_id: str, secure_key: str,
                      senders: tuple[str, ...], credits: int, verbose: bool) -> None:
    """Serve the gateway simulator for any site (PHP, JSP, ASP, this app) to dry-run against."""
    from simulator import DEMO_SENDERS, GatewayBackend
    from simulator.server import SimulatorServer

    backend = GatewayBackend()
    backend.add_account(user_id, secure_key, list(senders or DEMO_SENDERS), credits)
    server = SimulatorServer(backend, host, port, verbose=verbose)
    click.echo(f"Cafe24 SMS simulator on {server.url} (user {user_id}, "
               f"{credits} credits, senders {', '.join(senders or DEMO_SENDERS)})")
    click.echo(f"point your site's sms_url at {server.url}/sms_sender.php; Ctrl+C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
