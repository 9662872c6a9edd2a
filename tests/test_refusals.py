"""One refusal type: every code a service refuses with has one sentence, in both languages,
worded by one function; the CLI ends a refused command with it in Korean, then English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from smsform import messages
from smsform.cli_support import refusals_end
from smsform.messages.refusals import REFUSALS
from smsform.services.accounts import AccountError
from smsform.services.api_tokens import TokenError
from smsform.services.bulk import BulkRefused
from smsform.services.bulk_intake import IntakeRefused
from smsform.services.contacts import ContactError
from smsform.services.lists import ListRefused
from smsform.services.optouts import OptOutError
from smsform.services.query_args import FilterError, FilterProblem
from smsform.services.refusals import Refusal
from smsform.services.relay_sites import RelayError
from smsform.services.retry import RetryRefused
from smsform.services.sendlog import MarkRefused
from smsform.services.templates import TemplateError

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
KINDS = {cls.__name__: cls for cls in (AccountError, TokenError, RelayError, MarkRefused,
                                        ListRefused, ContactError, TemplateError,
                                        OptOutError, BulkRefused, IntakeRefused,
                                        RetryRefused)}
HANGUL = re.compile("[가-힣]")


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _raised() -> set[tuple[type[Refusal], str]]:
    """Every (class, code) the app's code refuses with, read from its sources."""
    found: set[tuple[type[Refusal], str]] = set()
    for path in (ROOT / "smsform").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name, args = _name(node.func), node.args
            if name in KINDS and args and isinstance(args[0], ast.Constant):
                found.add((KINDS[name], args[0].value))
            elif (name == "FilterProblem" and len(args) > 1
                  and isinstance(args[1], ast.Constant)):
                found.add((FilterError, args[1].value))
    return found


RAISED = sorted(_raised(), key=lambda kc: (kc[0].__name__, kc[1]))
WORDED = sorted(((kind, code) for kind, codes in REFUSALS.items() for code in codes),
                key=lambda kc: (kc[0].__name__, kc[1]))


@pytest.fixture(params=["ko", "en"])
def lang(request):
    app = Flask(__name__)
    Babel(app, default_locale=request.param, default_translation_directories=str(TRANSLATIONS))
    with app.app_context():
        yield request.param


def test_the_sources_were_read():
    assert (AccountError, "last_admin") in RAISED and (FilterError, "bad_date") in RAISED
    assert {kind for kind, _code in RAISED} == set(KINDS.values()) | {FilterError}


def test_every_sentence_is_of_a_code_that_is_refused():
    # bad_filter is FilterError's own code, given in its __init__ through the base class.
    assert set(WORDED) - set(RAISED) <= {(FilterError, "bad_filter")}


def _params(sentence: str) -> dict[str, object]:
    return {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)s", sentence)}


@pytest.mark.parametrize(("kind", "code"), RAISED, ids=lambda v: getattr(v, "__name__", v))
def test_every_refused_code_has_its_sentence_in_both_languages(lang, kind, code):
    assert code in REFUSALS[kind], f"{kind.__name__} {code!r} has no sentence"
    params = _params(str(REFUSALS[kind][code]))
    text = messages.refusal_text(kind(code, **params)) if kind is not FilterError else (
        messages.filter_problem_text(FilterProblem("f", code, params)))
    assert text != code
    assert all(value in text for value in params.values())  # every parameter shown
    assert bool(HANGUL.search(text)) is (lang == "ko")


def test_a_code_means_what_its_class_says(lang):
    # The same code in two areas: each its own sentence.
    token, site = TokenError("not_found", ref="x"), RelayError("not_found", name="x")
    assert messages.refusal_text(token) != messages.refusal_text(site)


def test_numbers_in_a_refusal_are_written_for_the_locale():
    app = Flask(__name__)
    Babel(app, default_locale="en")
    with app.app_context():
        text = messages.refusal_text(RelayError("limit_invalid", max=10_000_000))
    assert "10,000,000" in text


def test_a_code_without_a_sentence_is_logged_and_shown_as_it_is(caplog):
    app = Flask(__name__)
    Babel(app, default_locale="en")
    with app.app_context():
        assert messages.refusal_text(RelayError("brand_new")) == "brand_new"
    assert "no sentence for RelayError code 'brand_new'" in caplog.text


def test_the_cli_ends_a_refused_step_in_korean_then_english():
    app = Flask(__name__)
    Babel(app, default_locale="ko", default_translation_directories=str(TRANSLATIONS))

    def step() -> None:
        raise TokenError("name_empty")

    with app.app_context(), pytest.raises(click.ClickException) as caught:
        refusals_end(step)
    with app.app_context():
        with force_locale("ko"):
            korean = messages.refusal_text(TokenError("name_empty"))
        with force_locale("en"):
            english = messages.refusal_text(TokenError("name_empty"))
    assert caught.value.message == f"{korean} ({english})"
    assert caught.value.exit_code == 1
    assert refusals_end(lambda: 42) == 42
