"""What every area's words share: the request's language, numbers written for the locale,
and the terminal's two languages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from flask_babel import force_locale, format_number, get_locale
from flask_babel import gettext as _

from cafe24.schedule import KST
from smsform.models import in_korea


def language() -> str:
    """The language of this request, for the library's own two-language code tables."""
    locale = get_locale()
    return locale.language if locale is not None else "ko"


def word_for(words: Mapping[str, object], code: str, otherwise: str | None = None) -> str:
    """``code``'s word in ``words``, in the request's language; ``otherwise`` (the code
    itself when not given) for a code the table has no word for."""
    word = words.get(code)
    if word is not None:
        return str(word)
    return code if otherwise is None else otherwise


def as_count(value: object) -> int:
    """A problem's count parameter (a number, or its digits) as the int a plural needs."""
    if isinstance(value, (int, float, str)):
        return int(value)
    raise TypeError(f"a count must be a number, not {type(value).__name__}")


def format_params(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters as a sentence shows them: whole numbers written for the locale."""
    return {name: format_number(value) if isinstance(value, int) and not isinstance(value, bool)
            else value for name, value in params.items()}


def in_both(words: Callable[..., str], *args: object) -> str:
    """A message for the terminal in Korean, then English: one whole sentence in each."""
    with force_locale("ko"):
        korean = words(*args)
    with force_locale("en"):
        english = words(*args)
    return korean if korean == english else f"{korean} ({english})"


def whole_number_text(value: str, low: int, high: int, grouped: bool = True) -> str:
    """Why a shell command's number option is refused (``grouped``: 10,000 rather than
    10000; a port is written without)."""
    def write(number: int) -> str:
        return format_number(number) if grouped else str(number)

    return _("Give a whole number from %(low)s to %(high)s, not %(value)s.",
             low=write(low), high=write(high), value=value[:40])


def choice_text(value: str, choices: list[str]) -> str:
    """Why a shell command's option that takes one of a few words is refused."""
    return _("Choose one of %(choices)s, not %(value)s.", choices=", ".join(choices),
             value=value[:40])


def terminal_time(when: datetime | None) -> str:
    """A time in Korea time for the terminal, or "never"; a naive time is a stored one
    (UTC)."""
    if when is None:
        return "never"
    aware = when.astimezone(KST) if when.tzinfo is not None else in_korea(when)
    return aware.strftime("%Y-%m-%d %H:%M")
