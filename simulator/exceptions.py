"""The simulated gateway's refusals: one exception per answer code it gives.

Each refusal carries the gateway's code (moto's habit: an error is the real service's
error); ``simulator.wsgi`` turns it into the bytes the path answers.
"""

from __future__ import annotations


class Refusal(Exception):
    """The gateway refused the request with ``code``; ``remaining`` is the credit once known."""

    code = "-100"  # server error: what an unnamed refusal would be

    def __init__(self, remaining: int | None = None) -> None:
        super().__init__(self.code)
        self.remaining = remaining

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, remaining={self.remaining!r})"


class MissingField(Refusal):
    """A required field is empty or missing (also: paging that is not a number)."""

    code = "-101"


class AuthFailed(Refusal):
    """No such account, or the key is not its key."""

    code = "-102"


class ReservationInvalid(Refusal):
    """The reservation is malformed, too soon or too far ahead."""

    code = "-105"


class TooManyRecipients(Refusal):
    """More recipients in one call than the gateway takes."""

    code = "-110"


class SenderNotRegistered(Refusal):
    """The sender number is not one of the account's approved numbers."""

    code = "-114"


class NotEnoughCredit(Refusal):
    """The send would cost more than the credit left."""

    code = "-201"


class RefusedCharacter(Refusal):
    """The message holds a character the gateway refuses ('됬')."""

    code = "-202"


class RepeatInvalid(Refusal):
    """The repeat count or interval is not a number, out of range, or runs past any date."""

    code = "0003"


class TooLong(Refusal):
    """A merged message over its kind's limit, or an LMS subject over its limit."""

    code = "0004"


class SpamBlocked(Refusal):
    """The message or subject holds a blocked word."""

    code = "0044"


class NoValidRecipient(Refusal):
    """Not one recipient number is valid."""

    code = "3202"


class MessageUndecodable(Refusal):
    """The message's Base64 could not be decoded."""

    code = "3203"


REFUSALS: tuple[type[Refusal], ...] = (
    MissingField, AuthFailed, ReservationInvalid, TooManyRecipients, SenderNotRegistered,
    NotEnoughCredit, RefusedCharacter, RepeatInvalid, TooLong, SpamBlocked, NoValidRecipient,
    MessageUndecodable,
)
