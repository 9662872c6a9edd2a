"""The README's command list names every shell command the app registers."""

from __future__ import annotations

import re
from pathlib import Path

import click

README = Path(__file__).resolve().parent.parent / "README.md"
#: Flask-Migrate's own group: the README points at ``db migrate`` where models change.
NOT_LISTED = {"db"}


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[str]:
    """Every leaf command under ``group`` as ``name sub``."""
    paths = []
    for name, command in sorted(group.commands.items()):
        if not prefix and name in NOT_LISTED:
            continue
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append(" ".join((*prefix, name)))
    return paths


def _listed() -> set[str]:
    """What the README's ``## Commands`` block runs: ``flask --app app WORDS``."""
    section = README.read_text().split("## Commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    found = set()
    for match in re.finditer(r"flask --app app ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", block):
        words = match[1].split()
        found.update({words[0], " ".join(words)})
    return found


def test_every_command_is_in_the_readme(app):
    commands = _command_paths(app.cli)
    assert {"send", "balance", "senders", "token create", "relay create"} <= set(commands)
    missing = [path for path in commands if path not in _listed()]
    assert missing == [], f"README.md's command list lacks: {', '.join(missing)}"
