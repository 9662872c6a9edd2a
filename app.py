"""smsform: create_app builds the Flask app (``flask --app app run``)."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

import config
from smsform import i18n
from smsform.extensions import csrf, db
from smsform.permissions import load_user, wants_json
from smsform.services import gateway


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, or from ``test_config`` in tests."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    if test_config is None:
        app.config.from_mapping(config.from_env(app.instance_path))
    else:
        app.config.from_mapping(config.from_env(app.instance_path, environ={}))
        app.config.from_mapping(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    gateway.init_app(app)

    import smsform.models  # noqa: F401 - register the tables before create_all
    from smsform.views import auth, lookup, send

    app.register_blueprint(auth.bp)
    app.register_blueprint(send.bp)
    app.register_blueprint(lookup.bp)
    app.before_request(load_user)

    with app.app_context():
        db.create_all()

    @app.context_processor
    def inject_gateway() -> dict[str, Any]:
        return {"simulated": gateway.gateway().simulated, "user": g.get("user")}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; "
            "base-uri 'self'; object-src 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json() or request.path in ("/calljson",):
            return jsonify(result="error", code=exc.code, message=exc.description), exc.code
        return render_template("errors/error.html", error=exc), exc.code

    from smsform.cli import register

    register(app)
    return app
