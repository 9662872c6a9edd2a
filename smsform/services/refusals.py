"""Why a service would not do what it was asked: one exception type for every area.

A ``Refusal`` carries a ``code`` and the ``params`` its sentence needs; it never holds a
sentence (``smsform.messages.refusal_text`` words it, in the caller's language). Each area
names its own subclass (``AccountError``, ``TokenError``, ``RelayError``, ``MarkRefused``,
``FilterError``) so a caller catches what it expects; the codes are the subclass's own.
"""

from __future__ import annotations


class Refusal(ValueError):
    """A service refused: ``code`` says why, ``params`` fill in its sentence."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
