"""A CSV cell as a spreadsheet may open it safely: a formula's start (=, +, -, @, tab or
CR) neutralised with a leading quote. One rule for the pages' CSV answers
(``views/csv_export.py``) and the CLI's exports."""

from __future__ import annotations

_RISKY_START = frozenset("=+-@\t\r")


def csv_cell(value: object) -> str:
    """Neutralise spreadsheet formulas in cells (=, +, -, @, tab or CR at the start)."""
    text = "" if value is None else str(value)
    if not text or text[0] not in _RISKY_START:
        return text
    if text[0] == "-" and text[1:].isdigit():
        return text  # keep codes such as -114 as numbers
    return "'" + text
