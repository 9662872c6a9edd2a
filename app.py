"""smsform: ``create_app`` builds the Flask app (``flask --app app run``)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from inspect import CO_COROUTINE
from types import FunctionType
from typing import Any

import click
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user

import config
from smsform import database, errors, i18n, limiter, login, logs, security, worker
from smsform.cli import register as register_commands
from smsform.extensions import csrf, db
from smsform.permissions import Permission
from smsform.services import gateway, hot_writes


def _settings(app: Flask, test_config: dict[str, Any] | None) -> config.Settings:
    """The environment's settings, or, in tests, those named in ``test_config``
    (nothing is read from the environment and nothing is written into ``instance/``)."""
    if test_config is None:
        return config.from_env(os.environ, app.instance_path)
    environ = {k: str(v) for k, v in test_config.items() if k in config.ENV_VARS}
    environ.setdefault("DATABASE_URL", test_config.get("SQLALCHEMY_DATABASE_URI", "sqlite://"))
    environ.setdefault("SECRET_KEY", test_config.get("SECRET_KEY") or secrets.token_hex(16))
    return config.from_env(environ, app.instance_path)


class JSONProvider(DefaultJSONProvider):
    """Every JSON answer in UTF-8 as it is (Korean, not ``\\uXXXX``), its charset said in
    the content type. ``dumps`` with no options of its own uses one encoder made once with
    the provider's, the same text ``json.dumps`` writes with them (which makes an encoder
    on each call: 1 % of an API send's own instructions, docs/performance.md)."""

    ensure_ascii = False
    mimetype = errors.JSON_UTF8

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._encoder = json.JSONEncoder(ensure_ascii=self.ensure_ascii,
                                         sort_keys=self.sort_keys, default=self.default)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``obj`` as JSON text, as Flask's provider writes it."""
        if kwargs:
            return super().dumps(obj, **kwargs)
        return self._encoder.encode(obj)


class App(Flask):
    """The app's Flask: a plain ``def`` hook or view is run as it is without asking
    ``inspect`` whether it is a coroutine function on each call (Flask's ``ensure_sync``
    does, for each of a request's dozen hooks: 2 % of an API send's own instructions)."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` itself when it is a plain function (what Flask returns for it), else
        Flask's answer."""
        if (type(func) is FunctionType and not func.__code__.co_flags & CO_COROUTINE
                and "_is_coroutine_marker" not in func.__dict__):
            return func
        return super().ensure_sync(func)


class SettingsUsageError(click.UsageError):
    """A malformed setting met by a shell command: its message (naming the variable) and
    exit 2, instead of a traceback from loading the app."""

    def format_message(self) -> str:
        """Only the message: no "Try 'flask --help'" hint (no option of flask's is wrong)."""
        return self.message

    def show(self, file: Any = None) -> None:
        """Print ``Error: VARIABLE: problem`` on standard error."""
        click.echo(f"Error: {self.format_message()}", err=True)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, or from ``test_config`` in tests. A malformed
    setting raises ``config.SettingsError``; under a shell command it ends the command
    with exit 2 and the message naming the variable."""
    app = App(__name__, instance_relative_config=True)
    app.json = JSONProvider(app)
    try:
        settings = _settings(app, test_config)
    except config.SettingsError as exc:
        if click.get_current_context(silent=True) is None:  # a server (gunicorn), a test
            raise
        raise SettingsUsageError(str(exc)) from None
    app.config.from_mapping(settings.flask_config())
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.extensions["smsform.settings"] = settings
    logs.configure(settings.log_level)

    db.init_app(app)
    database.init_app(app)
    # On SQLite a request's send-path blocks share one connection (services.hot_writes);
    # first, so that every later hook's blocks share it too.
    app.before_request(hot_writes.hold)
    app.teardown_request(hot_writes.let_go)
    csrf.init_app(app)
    i18n.init_app(app, by_accept_language=login.BEARER_BLUEPRINTS)  # the API's callers
    login.init_app(app)
    limiter.init_app(app)
    errors.init_app(app)
    gateway.init_app(app, settings.gateway)
    worker.init_app(app)

    from smsform.views import (
        account,
        admin,
        api,
        api_contacts,
        api_jobs,
        api_optouts,
        auth,
        bulk,
        contacts,
        dashboard,
        lookup,
        optouts,
        page_cache,
        relay,
        relay_sites,
        send,
        sends,
        templates,
    )

    page_cache.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(send.bp)
    app.register_blueprint(lookup.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(sends.bp)
    app.register_blueprint(relay.bp)
    csrf.exempt(relay.bp)  # Cafe24's wire: no session, so no CSRF token
    app.register_blueprint(relay_sites.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(templates.bp)
    app.register_blueprint(contacts.bp)
    app.register_blueprint(optouts.bp)
    app.register_blueprint(bulk.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer tokens only: no session, so no CSRF token
    app.register_blueprint(api_contacts.bp)  # /api/v1/contacts and /groups, the same gate
    csrf.exempt(api_contacts.bp)
    app.register_blueprint(api_optouts.bp)  # /api/v1/optouts, the same gate
    csrf.exempt(api_optouts.bp)
    app.register_blueprint(api_jobs.bp)  # /api/v1/jobs, the same gate (the list limit)
    csrf.exempt(api_jobs.bp)
    errors.answer_problems_under(app, api.PREFIX + "/")

    @app.context_processor
    def page_context() -> dict[str, Any]:
        user = current_user if current_user.is_authenticated else None
        return {"simulated": gateway.gateway().simulated, "user": user,
                "Permission": Permission}

    # The API and the relay's wire know no cookie: their requests open no session.
    security.init_app(app, settings, sessionless=(api.PREFIX + "/", relay.PREFIX + "/"))
    # Browsers ask for /favicon.ico whatever the page links: answer with the SVG one.
    app.add_url_rule("/favicon.ico", "favicon", redirect_to="/static/favicon.svg")

    register_commands(app)
    return app
