"""Tests for cafe24.text: newlines, composing, EUC-KR bytes, and the Problem codes."""

import ast
import dataclasses
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cafe24
from cafe24.text import (
    PROBLEM_CODES,
    Problem,
    euckr_length,
    is_supported,
    normalize_newlines,
    normalize_text,
    unsupported_chars,
)
from tests.cafe24.problem_examples import examples

# --- Problem: a code and its parameters, no sentences ----------------------------


def test_problem_codes_are_unique_snake_case():
    assert len(PROBLEM_CODES) == len(set(PROBLEM_CODES))
    assert all(code.isidentifier() and code == code.lower() for code in PROBLEM_CODES)


def test_every_problem_code_is_made_by_the_library_and_listed():
    made = {p.code for p in examples()}
    assert made == set(PROBLEM_CODES)


def _problem_calls() -> list[tuple[str, int, ast.expr]]:
    """The code argument of every Problem(...) (or code-passing helper) call in cafe24/."""
    found = []
    for path in sorted(Path(cafe24.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("Problem", "_chars_problem") and len(node.args) > 1):
                found.append((path.name, node.lineno, node.args[1]))
    return found


def test_every_code_in_the_source_is_listed():
    calls = _problem_calls()
    assert len(calls) >= len(PROBLEM_CODES)
    for name, line, code in calls:
        # A code is written out where the problem is made, or passed through a helper.
        where = f"{name}:{line}"
        if isinstance(code, ast.Name):
            assert name == "message.py" and code.id == "code", where
        else:
            assert isinstance(code, ast.Constant) and code.value in PROBLEM_CODES, where


def test_problems_carry_plain_values():
    for problem in examples():
        assert all(type(v) in (int, str) for v in problem.params.values()), problem
    # JSON-ready, and asdict works (the app's JSON answers and records)
    problem = Problem("msg", "msg_too_long", {"length": 2015, "limit": 2000})
    assert json.loads(json.dumps(dataclasses.asdict(problem))) == {
        "field": "msg", "code": "msg_too_long", "params": {"length": 2015, "limit": 2000}}


def test_problem_params_are_its_own_copy():
    params = {"count": 2}
    problem = Problem("msg", "name_placeholder_without_names", params)
    params["count"] = 3
    assert problem.params == {"count": 2}
    assert Problem("msg", "msg_empty") == Problem("msg", "msg_empty", {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.code = "msg_empty"  # type: ignore[misc]


def test_problem_str_is_developer_text():
    assert str(Problem("msg", "msg_empty")) == "msg: msg_empty"
    assert str(Problem("rtime", "reservation_too_soon", {"minutes": 10})) == (
        "rtime: reservation_too_soon (minutes=10)")


# --- newlines, composing, bytes -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\nb", "a\nb"),
        ("a\r\r\nb", "a\n\nb"),
        ("\r\n\r\n", "\n\n"),
        ("no newline", "no newline"),
    ],
)
def test_normalize_newlines(raw, expected):
    assert normalize_newlines(raw) == expected



# --- properties --------------------------------------------------------------------------


def _supported_alphabet() -> list[str]:
    """Every character EUC-KR holds in one or two bytes (KS X 1001), plus CR."""
    chars = []
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        try:
            if len(ch.encode("euc_kr")) <= 2:
                chars.append(ch)
        except UnicodeEncodeError:
            pass
    return chars


SUPPORTED = _supported_alphabet()
supported_text = st.text(alphabet=st.sampled_from(SUPPORTED) | st.sampled_from("\r\n가a"))


@given(supported_text)
def test_property_length_matches_codec(text):
    assert unsupported_chars(text) == []
    assert euckr_length(text) == len(normalize_text(text).encode("euc_kr"))


@given(st.text())
def test_property_length_counts_code_points(text):
    norm = normalize_text(text)
    assert euckr_length(text) == len(norm) + sum(1 for ch in norm if ord(ch) >= 0x80)
    found = unsupported_chars(text)
    assert len(found) == len(set(found))
    rest = "".join(ch for ch in norm if ch not in found)
    assert euckr_length(rest) == len(rest.encode("euc_kr"))





def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_normalize_text_composes_and_fixes_newlines():
    assert nfd("한국어") != "한국어"
    assert normalize_text(nfd("한국어\r\n됐어요\r")) == "한국어\n됐어요\n"
    assert normalize_text("cafe\u0301") == "caf\u00e9"


def test_is_supported_is_ascii_or_one_ks_x_1001_character():
    assert is_supported("a") and is_supported("가") and is_supported("\u212b")
    assert not is_supported("똠")  # 8 bytes in CPython's codec: a KS X 1001:1998 make-up
    assert not is_supported("😀")
    assert unicodedata.normalize("NFC", "\u212b") == "\u00c5" and not is_supported("\u00c5")
