"""What every answer needs to be safe, in one place: headers, HTTPS and the proxy in front.

- Every answer gets the Content-Security-Policy (scripts, styles and form posts from this
  site only; nothing inline), ``nosniff`` and a same-origin referrer. Only this site frames
  its pages, with ``X-Frame-Options: SAMEORIGIN`` saying the same to older browsers; the
  origins of ``SMSFORM_FRAME_ANCESTORS`` may also frame the pages of the embedded form
  (``EMBEDDABLE_ENDPOINTS``: the form, its result, sign-in, the password change it may
  lead to), which then carry no ``X-Frame-Options`` (it cannot name another origin).
  Admin pages, the log and the pages that show a new key once are never framed elsewhere.
- Every answer but a static file gets ``Cache-Control: no-store``: pages, JSON and CSV
  exports hold phone numbers and message texts that no cache or back button should keep.
- Served over HTTPS, answers get HSTS and the session cookie is marked ``Secure`` (always,
  when ``SESSION_COOKIE_SECURE`` says so).
- ``X-Forwarded-For/-Proto/-Host`` are believed only when ``SMSFORM_PROXY_COUNT`` says how
  many proxies stand in front (Werkzeug's ProxyFix); otherwise anyone could claim HTTPS or
  another address.
- A request body over ``SMSFORM_MAX_BODY_BYTES`` gets 413 unread (``MAX_CONTENT_LENGTH``,
  from the settings), and input whose bytes are not UTF-8 gets 400 (``smsform.form_guard``).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any, cast

from flask import Flask, Request, Response, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings
from smsform import form_guard
from smsform.current import this_request, this_session
from smsform.extensions import login_manager

#: The policy's fixed part; ``frame-ancestors`` adds SMSFORM_FRAME_ANCESTORS, and
#: ``form-action`` the origins ``returnurl`` may lead to, as a form post's redirect must be
#: allowed by it too.
CSP = "default-src 'self'; img-src 'self' data:; base-uri 'self'; object-src 'none'"
#: How many verified session cookies a process remembers (the newest; one per person
#: signed in, and a cookie changes at most once a minute: smsform.login).
VERIFIED_COOKIES = 1024
#: One year; HTTPS is how the app is meant to be served (README: Running it for real).
HSTS = "max-age=31536000"
#: Endpoints whose answers may be cached: files that hold nothing of anyone's.
CACHEABLE_ENDPOINTS = frozenset({"static"})
#: The pages an allowed site may frame (docs/embedding.md): the form, what its post answers,
#: and the sign-in and first password change a framed visitor may be led through.
EMBEDDABLE_ENDPOINTS = frozenset({"send.smsform", "send.smssend", "auth.login", "auth.logout",
                                  "auth.account"})


def content_security_policy(settings: Settings, embeddable: bool = True) -> str:
    """The policy of an app with these settings, for an embeddable page or another one."""
    framers = settings.frame_ancestors if embeddable else ()
    ancestors = " ".join(["'self'", *framers])
    targets = " ".join(["'self'", *settings.return_origins])
    return f"{CSP}; frame-ancestors {ancestors}; form-action {targets}"


class NoCookieSession(SecureCookieSession):
    """The session of a request under a sessionless prefix: empty, never read from a
    cookie and never saved into one, whatever is done to it."""


#: Flask-WTF's CSRF check, as its ``init_app`` registers it (a closure of that name).
_CSRF_HOOK = "CSRFProtect.init_app.<locals>.csrf_protect"


def _skip_session_hooks_when_sessionless(app: Flask) -> None:
    """Flask-WTF's CSRF check and Flask-Login's remember cookie act only on a request's
    session; a request under a sessionless prefix has none (``NoCookieSession``: no
    cookie read, none set), so there each hook returns at once instead of reading the
    config, the request and its view through Flask's proxies (40 k and 37 k instructions
    of an API request, 3 % of its own: docs/performance.md). Everywhere else they run as
    the libraries wrote them. A hook not found where the libraries put it is an error:
    the check would otherwise silently keep its cost, or be lost in a wrapper of nothing."""
    before = app.before_request_funcs.setdefault(None, [])
    after = app.after_request_funcs.setdefault(None, [])
    csrf_at = [i for i, hook in enumerate(before)
               if getattr(hook, "__qualname__", "") == _CSRF_HOOK]
    remember_at = [i for i, hook in enumerate(after)
                   if hook == login_manager._update_remember_cookie]  # noqa: SLF001
    if len(csrf_at) != 1 or len(remember_at) != 1:
        raise RuntimeError("Flask-WTF's CSRF hook or Flask-Login's remember-cookie hook is "
                           "not where smsform.security expects it (init_app order?)")
    csrf_protect, remember = before[csrf_at[0]], after[remember_at[0]]

    def csrf_unless_sessionless() -> Any:
        if isinstance(this_session(), NoCookieSession):
            return None  # no session: nothing a forged request could act as
        return csrf_protect()

    def remember_unless_sessionless(response: Response) -> Response:
        if isinstance(this_session(), NoCookieSession):
            return response  # no cookie is ever set under a sessionless prefix
        return cast(Response, remember(response))

    before[csrf_at[0]] = csrf_unless_sessionless
    after[remember_at[0]] = remember_unless_sessionless


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its cookie marked ``Secure`` on HTTPS requests.

    A request whose path starts with one of ``sessionless`` (the API and the relay's wire:
    bearer tokens and site keys, never a cookie) gets a ``NoCookieSession``: its cookie is
    not read, no cookie is set and its answer does not say ``Vary: Cookie``, since nothing
    in it depends on one (3 % of an API send's own instructions: docs/performance.md).

    Savings on every request: the signing serializer is built once per set of keys
    instead of on each request (it keeps no state between calls); the last
    VERIFIED_COOKIES cookies verified are read again without their HMAC; and an empty,
    unchanged session is saved without working out the cookie's settings (Flask would
    only note ``Vary: Cookie``)."""

    _signing: tuple[tuple[str | bytes, ...], URLSafeTimedSerializer | None] | None = None

    def __init__(self, sessionless: tuple[str, ...] = ()) -> None:
        self.sessionless = sessionless
        #: cookie -> (the keys it was verified with, when it was signed, its data)
        self._verified: dict[str, tuple[tuple[str | bytes, ...], float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer for the app's keys, made again only when the keys change."""
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        made = self._signing
        if made is None or made[0] != keys:
            made = self._signing = (keys, super().get_signing_serializer(app))
        return made[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's open, remembering the last cookies it verified: the same bytes signed
        with the same keys verify to the same data, so a kept cookie is read without its
        HMAC (its age is still checked, and every request gets a copy of its own)."""
        if self.sessionless and request.path.startswith(self.sessionless):
            return NoCookieSession()
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        keys = self._signing[0] if self._signing is not None else ()
        known = self._verified.get(cookie)
        if known is not None and known[0] == keys and time.time() - known[1] <= max_age:
            return self.session_class(copy.deepcopy(known[2]))
        try:
            data, signed_at = serializer.loads(cookie, max_age=int(max_age),
                                               return_timestamp=True)
        except BadSignature:
            return self.session_class()
        with self._lock:
            self._verified[cookie] = (keys, signed_at.timestamp(), copy.deepcopy(data))
            while len(self._verified) > VERIFIED_COOKIES:
                self._verified.pop(next(iter(self._verified)))
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's save; an empty session nobody changed writes nothing, as in Flask; a
        sessionless request's nothing at all."""
        if isinstance(session, NoCookieSession):
            return
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        """The setting, or True when this request came over HTTPS."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def init_app(app: Flask, settings: Settings, sessionless: tuple[str, ...] = ()) -> None:
    """Trust the configured proxies, mark cookies Secure on HTTPS (no session at all under
    the ``sessionless`` path prefixes), refuse input that is not UTF-8, add the headers."""
    if settings.proxy_count:
        count = settings.proxy_count
        # Flask's documented way to wrap its WSGI app in middleware.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.session_interface = HttpsAwareSessionInterface(sessionless)
    if sessionless:
        _skip_session_hooks_when_sessionless(app)
    app.request_class = form_guard.RawFormRequest
    app.before_request(form_guard.refuse_undecodable)
    framed_policy = content_security_policy(settings)
    own_policy = content_security_policy(settings, embeddable=False)
    common = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))
    # Each answer's defaults, names lower-cased once (a header set by the view stands).
    framed_defaults = tuple((name.lower(), name, value) for name, value in (
        ("Content-Security-Policy", framed_policy), *common))
    own_defaults = tuple((name.lower(), name, value) for name, value in (
        ("Content-Security-Policy", own_policy), *common, ("X-Frame-Options", "SAMEORIGIN")))

    @app.after_request
    def security_headers(response: Response) -> Response:
        req = this_request()  # on every answer: the object, not the proxy
        endpoint = req.endpoint
        framed_elsewhere = (bool(settings.frame_ancestors)
                            and endpoint in EMBEDDABLE_ENDPOINTS)
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}  # one look at them
        for lowered, name, value in (framed_defaults if framed_elsewhere else own_defaults):
            if lowered not in present:  # a view's own value stands
                headers.add(name, value)
        if endpoint not in CACHEABLE_ENDPOINTS:
            if "cache-control" in present:
                headers["Cache-Control"] = "no-store"
            else:
                headers.add("Cache-Control", "no-store")
        if req.is_secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        return response
