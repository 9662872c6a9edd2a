"""gunicorn settings for smsform: ``gunicorn -c gunicorn.conf.py 'app:create_app()'``.

Command-line options (``-b``, ``-w``) override these. README: "Running it for real".
"""

from __future__ import annotations

import os

from config import GatewaySettings  # not "import config": gunicorn has a setting so named

# The gateway settings the app will use (the same parsing, so the same errors).
_gateway = GatewaySettings.from_env(os.environ)

bind = "127.0.0.1:8000"  # behind a reverse proxy on the same machine
workers = 2
# A worker must outlive the slowest send it may be in: three connection attempts (the
# client retries connecting twice) and the read timeout, with room to answer. A worker
# killed during the gateway call leaves the send's outcome unknown.
timeout = int(3 * _gateway.connect_timeout + _gateway.read_timeout) + 20
graceful_timeout = timeout
# The access log never records query strings (they can hold texts and numbers): the
# method, the path alone (%(U)s, not %(r)s or %(q)s) and no referrer (%(f)s has queries).
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss "%(a)s"'
