"""smsform.states: each stored state written once, with its named sets, and used everywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from smsform.services.sending import Status
from smsform.states import Result

ROOT = Path(__file__).resolve().parent.parent
RESULT_VALUES = {result.value for result in Result}


def test_the_results_are_the_send_log_columns_words_in_a_sends_life_order():
    assert [r.value for r in Result] == ["pending", "success", "reserved", "test", "refused",
                                         "not_sent", "unknown"]


@pytest.mark.parametrize(("name", "members"), [
    ("ACCEPTED", {"success", "reserved", "test"}),
    ("CHARGED", {"success", "reserved"}),
    ("COUNTED", {"pending", "success", "reserved", "unknown"}),
    ("SUMMED", {"success", "reserved", "test", "refused", "not_sent"}),
])
def test_each_named_set_holds_results_and_says_what_it_means(name, members):
    named = getattr(Result, name)
    assert set(named) == members
    assert all(isinstance(r, Result) for r in named)
    assert list(named) == [r for r in Result if r in named]  # the members' order


def test_an_ending_that_reaches_the_log_is_one_of_its_results():
    for result in Result:
        if result is not Result.PENDING:
            assert Status(result.value).accepted is result.accepted


def _spelled_results(path: Path) -> list[str]:
    """Where ``path`` writes a result as a literal: compared with, or two or more in one
    tuple, list, set or as keys of one dict."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Constant) and s.value in RESULT_VALUES for s in sides):
                found.append(f"{path.name}:{node.lineno}")
        elif isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            if sum(isinstance(i, ast.Constant) and i.value in RESULT_VALUES
                   for i in items) >= 2:
                found.append(f"{path.name}:{node.lineno}")
    return found


@pytest.mark.parametrize("path", [p for p in sorted((ROOT / "smsform").rglob("*.py"))
                                  if p.name != "states.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_spells_the_results_again(path):
    # A Status compared with its own member is fine; the strings belong to smsform.states.
    assert _spelled_results(path) == []
