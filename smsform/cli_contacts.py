"""``flask --app app contacts import FILE [--group G]`` and ``contacts export``: the
address book from the shell, through the same services as its pages (``services.lists``
reads the file, ``services.contacts`` keeps it; audited with actor ``cli``).

A file the reader refuses, or a group name that breaks the rules, exits 1 with the reason
in Korean, then English. The import prints its counts and every row left out (row, value,
why) to stdout, or JSON with ``--json``; the export writes CSV (UTF-8 with a BOM, formula
cells neutralised) to stdout or ``--output``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO

import click
from flask import Flask, current_app

from smsform import messages
from smsform.cli_support import DatabaseGroup, refusals_end
from smsform.services import audit, contacts, lists
from smsform.services.audit import CLI_ACTOR
from smsform.services.csv_cells import csv_cell
from smsform.services.lists import Choice, ListReport


def register(app: Flask) -> None:
    """Attach ``contacts`` to the app."""
    app.cli.add_command(contacts_group)


@click.group("contacts", cls=DatabaseGroup)
def contacts_group() -> None:
    """The address book: import a list file into a group, export it as CSV."""


def _read(path: Path, phone_column: str | None, name_column: str | None) -> ListReport:
    settings = current_app.extensions["smsform.settings"]
    limits = lists.limits_of(settings)
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    choice = Choice(phone_column or None, name_column or None)
    return refusals_end(lambda: lists.read_file(data, path.name, limits, choice))


@contacts_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--group", help="The group to put every contact in (made if new).")
@click.option("--phone-column", help="The number column's header or letter (default: found).")
@click.option("--name-column", help="The name column's header or letter (default: found).")
@click.option("--no-update", is_flag=True,
              help="Keep the name and fields of numbers already in the address book.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts and rows as JSON.")
def import_command(file: Path, group: str | None, phone_column: str | None,
                   name_column: str | None, no_update: bool, as_json: bool) -> None:
    """Import a CSV/TSV (UTF-8 or CP949), .xlsx or .xls file into the address book."""
    report = _read(file, phone_column, name_column)
    counts = refusals_end(lambda: contacts.import_report(
        report, group=group, update_names=not no_update, by=CLI_ACTOR))
    if as_json:
        click.echo(json.dumps({
            **counts.as_detail(), "rows": report.total, "kind": report.kind,
            "phone_column": report.phone_column, "name_column": report.name_column,
            "fields": report.fields,
            "problems": [{"row": p.row, "value": p.value, "code": p.code,
                          **({"first_row": p.first_row} if p.first_row else {})}
                         for p in report.problems]}, ensure_ascii=False))
        return
    click.echo(f"{report.total} rows read ({report.kind}"
               f"{', ' + report.encoding if report.encoding else ''}): "
               f"{counts.added} added, {counts.updated} updated, {counts.unchanged} already "
               f"there, {counts.refused} left out, {counts.duplicates} duplicates"
               + (f"; {counts.grouped} put in {counts.group}" if counts.group else ""))
    for problem in report.problems:
        click.echo(f"row {problem.row}\t{problem.value}\t"
                   f"{messages.in_both(messages.row_problem_text, problem)}")


@contacts_group.command("export")
@click.option("--group", help="Only this group's contacts.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of stdout.")
def export_command(group: str | None, output: Path | None) -> None:
    """Export the address book (or a group) as CSV: UTF-8 with a BOM, formulas neutralised."""
    group_id = None
    if group:
        found = contacts.find_group(group)
        if found is None:
            raise click.ClickException(messages.in_both(
                messages.refusal_text, contacts.ContactError("no_such_group", id=group)))
        group_id = found.id
    header, rows = contacts.export_rows(group_id)
    count = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    out = output.open("w", encoding="utf-8", newline="") if output is not None else None
    try:
        _write(out, "\ufeff" + buffer.getvalue())
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([csv_cell(value) for value in row])
            _write(out, buffer.getvalue())
            count += 1
    finally:
        if out is not None:
            out.close()
    audit.record_by("contacts_exported", CLI_ACTOR, target=str(group_id) if group_id else None,
                    detail={"masked": False, "contacts": count})
    if output is not None:
        click.echo(f"{count} contacts written to {output}", err=True)


def _write(out: IO[str] | None, text: str) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write(text)
