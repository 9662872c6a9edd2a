"""Shell commands: ``flask --app app user create|list|role|disable|enable|password`` (each
change audited with actor ``cli``) and ``flask --app app simulator``."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from cafe24.schedule import KST
from smsform import (
    cli_api,
    cli_bulk,
    cli_contacts,
    cli_delivery,
    cli_optouts,
    cli_templates,
    messages,
)
from smsform.cli_support import (
    DatabaseGroup,
    OneOf,
    WholeNumber,
    app_context,
    needs_database,
    refusals_end,
    require_created,
)
from smsform.messages import in_both, terminal_time
from smsform.models import korea_day_start
from smsform.permissions import DEFAULT_ROLE, ROLES
from smsform.services import accounts, query_args, relay_sites, sendlog
from smsform.services.audit import CLI, CLI_ACTOR


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(user)
    app.cli.add_command(simulator_command)
    app.cli.add_command(simulator_reset_command)
    app.cli.add_command(log_group)
    app.cli.add_command(relay_group)
    cli_api.register(app)  # send, balance, senders, token
    cli_contacts.register(app)  # contacts import, export
    cli_optouts.register(app)  # optout add, remove, import, list
    cli_templates.register(app)  # templates list, show, add, edit, delete
    cli_delivery.register(app)  # delivery sync
    cli_bulk.register(app)  # bulk send, status


@click.group(cls=DatabaseGroup)  # each command in the app context, on a created database
def user() -> None:
    """Manage staff accounts."""


def _find(username: str):
    """The account named ``username``, or exit 1 saying there is none."""
    return refusals_end(lambda: accounts.find_user(username))


def _new_username(ctx: click.Context, _param: click.Parameter, username: str) -> str:
    """The name, checked before the password is asked for: the database is there, the
    name follows the rules and nobody has it yet."""
    with app_context(ctx):
        require_created()
        name = refusals_end(lambda: accounts.check_username(username))
        assert isinstance(name, str)
        try:
            accounts.find_user(name)
        except accounts.AccountError:
            return name
        raise click.ClickException(in_both(messages.refusal_text, accounts.AccountError(
            "username_taken", username=name)))


@user.command("create")
@click.argument("username", callback=_new_username)
@click.option("--role", type=OneOf(ROLES), default=DEFAULT_ROLE, show_default=True)
@click.password_option(prompt="Password", confirmation_prompt="Repeat the password")
def create_user(username: str, role: str, password: str) -> None:
    """Create a staff account (prompts for the password twice; typed by its owner, it need
    not be changed at the first sign-in)."""
    refusals_end(lambda: accounts.add_user(username, password, role, must_change=False,
                                            by=CLI_ACTOR))
    click.echo(f"created {role} {username.strip()}")


@user.command("list")
def list_users() -> None:
    """List the accounts: name, role, state and last sign-in (KST)."""
    click.echo(f"{'USERNAME':<24} {'ROLE':<8} {'STATE':<9} LAST SIGN-IN (KST)")
    for account in accounts.list_users():
        state = "active" if account.active else "disabled"
        last = terminal_time(account.last_login_at)
        note = "  (must change the password)" if account.must_change_password else ""
        click.echo(f"{account.username:<24} {account.role:<8} {state:<9} {last}{note}")


@user.command("role")
@click.argument("username")
@click.argument("role")
def set_role(username: str, role: str) -> None:
    """Give an account another role (admin, sender or viewer); its sessions end."""
    account = _find(username)
    previous = account.role
    refusals_end(lambda: accounts.set_role(account, role.strip(), by=CLI_ACTOR))
    click.echo(f"{account.username}: {previous} -> {account.role}")


@user.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable an account (kept, never deleted); its sessions end."""
    account = _find(username)
    changed = refusals_end(lambda: accounts.disable(account, by=CLI_ACTOR))
    click.echo(f"disabled {account.username}" if changed
               else f"{account.username} was already disabled")


@user.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Let a disabled account sign in again."""
    account = _find(username)
    changed = accounts.enable(account, by=CLI_ACTOR)
    click.echo(f"enabled {account.username}" if changed
               else f"{account.username} was already enabled")


@user.command("password")
@click.argument("username")
def set_password(username: str) -> None:
    """Set an account's password, typed twice by its owner; its sessions end."""
    account = _find(username)  # before asking for a password that would go nowhere
    password = click.prompt("New password", hide_input=True,
                            confirmation_prompt="Repeat the password")
    refusals_end(lambda: accounts.set_password(account, password, must_change=False,
                                                by=CLI_ACTOR))
    click.echo(f"password changed for {account.username}")


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=WholeNumber(0, 65535, grouped=False))
@click.option("--user-id", default="demo", show_default=True)
@click.option("--secure-key", default="demo-secure-key", show_default=True)
@click.option("--sender", "senders", multiple=True,
              help="Registered sender number; repeat for more.")
@click.option("--credits", default=1000, show_default=True, type=WholeNumber(0, 10**9))
@click.option("--verbose", is_flag=True, help="Log every request line.")
def simulator_command(host: str, port: int, user_id: str, secure_key: str,
                      senders: tuple[str, ...], credits: int, verbose: bool) -> None:
    """Serve the gateway simulator for any site (PHP, JSP, ASP, this app) to dry-run against."""
    from smsform.services import gateway

    server, numbers = gateway.standalone_simulator(
        host, port, user_id=user_id, secure_key=secure_key, senders=senders, credits=credits,
        verbose=verbose)
    click.echo(f"Cafe24 SMS simulator on {server.url} (user {user_id}, "
               f"{credits} credits, senders {', '.join(numbers)})")
    click.echo(f"point your site's sms_url at {server.url}/sms_sender.php; Ctrl+C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("simulator-reset")
@with_appcontext
@needs_database
def simulator_reset_command() -> None:
    """Put the embedded simulator's demo account back as new (credit, senders, no messages)."""
    from smsform.services import gateway

    try:
        gateway.reset_simulator_state()
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("the embedded simulator's state is reset: demo account, full credit, no messages")


@click.group("log", cls=DatabaseGroup)
def log_group() -> None:
    """The send log: remove old texts and numbers (the counts stay)."""


def _purge_day(raw: str | None, today: date, retention_days: int) -> date:
    """The first day kept: ``--before`` (KST, a day the send log's filters take, not after
    today) or the retention setting's."""
    if raw is None:
        return today - timedelta(days=retention_days)
    problems: list[query_args.FilterProblem] = []
    day = query_args.day(raw.strip(), "before", problems)
    if day is None:
        problem = problems[0] if problems else query_args.FilterProblem("before", "bad_date",
                                                                        {"value": raw})
        raise click.BadParameter(in_both(messages.filter_problem_text, problem),
                                 param_hint="--before")
    if day > today:
        raise click.BadParameter(in_both(messages.purge_future_text, today.isoformat()),
                                 param_hint="--before")
    return day


@log_group.command("purge")
@click.option("--before", metavar="YYYY-MM-DD",
              help="Purge sends logged before this day (KST). Default: older than "
                   "SMSFORM_LOG_RETENTION_DAYS.")
@click.option("--dry-run", is_flag=True, help="Only count the sends it would purge.")
def purge_log(before: str | None, dry_run: bool) -> None:
    """Remove the texts, subjects and numbers of old sends; keep counts, kind, cost, result."""
    settings = current_app.extensions["smsform.settings"]
    day = _purge_day(before, datetime.now(KST).date(), settings.log_retention_days)
    cutoff = korea_day_start(day)
    if dry_run:
        click.echo(in_both(messages.purge_count_text, sendlog.purgeable(cutoff),
                            day.isoformat()))
        return
    count = sendlog.purge(cutoff, actor=CLI, label=day.isoformat())
    click.echo(in_both(messages.purge_text, count, day.isoformat()))


# --- relay sites: flask --app app relay create|list|disable ------------------------------

@click.group("relay", cls=DatabaseGroup)
def relay_group() -> None:
    """Sites that send through the relay (/relay/sms_sender.php) with ids and keys of ours."""


@relay_group.command("create")
@click.argument("name")
@click.option("--sender", "senders", multiple=True, required=True, metavar="NUMBER",
              help="A sender number the site may use (repeat for more).")
@click.option("--daily-limit", type=WholeNumber(1, relay_sites.DAILY_LIMIT_MAX), default=None,
              metavar="N",
              help="Credits the site may spend per Korea-time day. Default: no limit.")
@click.option("--test-only", is_flag=True, help="Every send of the site is a test.")
@click.option("--allow-ip", "allow_ips", multiple=True, metavar="CIDR",
              help="An address or network the site may call from (repeat). Default: any.")
@click.option("--charset", type=OneOf(relay_sites.CHARSETS), default="auto",
              show_default=True, help="How the site's text bytes are read.")
@click.option("--json", "as_json", is_flag=True, help='Print {"user_id": ..., "secure": ...}.')
def create_relay(name: str, senders: tuple[str, ...], daily_limit: int | None, test_only: bool,
                 allow_ips: tuple[str, ...], charset: str, as_json: bool) -> None:
    """Issue an id and a key for a site; the key is printed this once and kept only hashed."""
    issued = refusals_end(lambda: relay_sites.create_site(
        name, senders, daily_limit=daily_limit, test_only=test_only, allow_ips=allow_ips,
        charset=charset, by=CLI_ACTOR))
    assert isinstance(issued, relay_sites.Issued)
    if as_json:
        click.echo(json.dumps({"user_id": issued.site.user_id, "secure": issued.secure}))
        return
    click.echo(f"created relay site {issued.site.name}")
    click.echo(f"user_id: {issued.site.user_id}")
    click.echo(f"secure:  {issued.secure}")
    click.echo("The key is shown only now; it cannot be shown again.")


@relay_group.command("list")
def list_relays() -> None:
    """Every relay site: name, id, state, senders, daily limit, test only, addresses, last use."""
    click.echo("name\tuser_id\tstate\tsenders\tdaily_limit\ttest_only\tallow_ips\tlast_used")
    for site in relay_sites.list_sites():
        click.echo("\t".join([
            site.name, site.user_id, "active" if site.active else "disabled",
            ",".join(site.senders), "-" if site.daily_limit is None else str(site.daily_limit),
            "yes" if site.test_only else "no", ",".join(site.allow_ips) or "any",
            terminal_time(site.last_used_at)]))


@relay_group.command("disable")
@click.argument("name")
def disable_relay(name: str) -> None:
    """Stop a site's id and key for good (the site stays in the list and the log)."""
    changed = refusals_end(lambda: relay_sites.disable_site(name, by=CLI_ACTOR))
    click.echo(f"disabled {name.strip()}" if changed else f"{name.strip()} was already disabled")
