"""``flask --app app optout add|remove|import|list``: the opt-out list (수신거부) from the
shell, through the same services as its pages (``services.lists`` reads a file,
``services.optouts`` keeps the list; audited with actor ``cli``).

A refusal (a number that is not one, a removal without a reason, a file the reader refuses)
exits 1 with the reason in Korean, then English. ``import`` prints its counts and every row
left out (row, value, why), or JSON with ``--json``; ``list`` prints a page (tab-separated)
or, with ``--csv``, the whole list as CSV (UTF-8 with a BOM, formula cells neutralised) to
stdout or ``--output``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO

import click
from flask import Flask, current_app
from flask_babel import force_locale

from smsform import messages
from smsform.cli_support import DatabaseGroup, WholeNumber, refusals_end
from smsform.services import audit, lists, optouts
from smsform.services.audit import CLI_ACTOR
from smsform.services.csv_cells import csv_cell
from smsform.services.lists import Choice
from smsform.states import OptOutVia

EXPORT_HEADER = ("전화번호", "수신거부 일시", "경로", "등록자", "메모")


def register(app: Flask) -> None:
    """Attach ``optout`` to the app."""
    app.cli.add_command(optout_group)


@click.group("optout", cls=DatabaseGroup)
def optout_group() -> None:
    """The opt-out list (수신거부): advertising sends never reach these numbers."""


@optout_group.command("add")
@click.argument("number")
@click.option("--memo", default="", help="How the person asked, for example.")
def add_command(number: str, memo: str) -> None:
    """Put NUMBER on the opt-out list."""
    added = refusals_end(lambda: optouts.add(number, via=OptOutVia.CLI, by=CLI_ACTOR,
                                             memo=memo))
    if added.new:
        click.echo(f"{added.entry.phone} added to the opt-out list")
    else:
        click.echo(f"{added.entry.phone} was on the opt-out list already "
                   f"(since {added.entry.at:%Y-%m-%d %H:%M} KST)")


@optout_group.command("remove")
@click.argument("number")
@click.option("--reason", required=True, help="Why it comes off the list (kept).")
def remove_command(number: str, reason: str) -> None:
    """Take NUMBER off the opt-out list (its opt-out and the reason are kept)."""
    removed = refusals_end(lambda: optouts.remove(number, reason=reason, by=CLI_ACTOR))
    click.echo(f"{removed.phone} removed from the opt-out list")


@optout_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--phone-column", help="The number column's header or letter (default: found).")
@click.option("--memo", default="", help="Kept with every number added.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts and rows as JSON.")
def import_command(file: Path, phone_column: str | None, memo: str, as_json: bool) -> None:
    """Import the numbers of a CSV/TSV (UTF-8 or CP949), .xlsx or .xls file."""
    limits = lists.limits_of(current_app.extensions["smsform.settings"])
    with file.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    report = refusals_end(lambda: lists.read_file(data, file.name, limits,
                                                  Choice(phone_column or None, "")))
    counts = refusals_end(lambda: optouts.import_report(
        report, via=OptOutVia.CLI, by=CLI_ACTOR, memo=memo, source=file.name))
    if as_json:
        click.echo(json.dumps({
            **counts.as_detail(), "rows": report.total, "kind": report.kind,
            "phone_column": report.phone_column,
            "problems": [{"row": p.row, "value": p.value, "code": p.code,
                          **({"first_row": p.first_row} if p.first_row else {})}
                         for p in report.problems]}, ensure_ascii=False))
        return
    click.echo(f"{report.total} rows read ({report.kind}"
               f"{', ' + report.encoding if report.encoding else ''}): "
               f"{counts.added} added, {counts.already} already there, "
               f"{counts.refused} left out, {counts.duplicates} duplicates")
    for problem in report.problems:
        click.echo(f"row {problem.row}\t{problem.value}\t"
                   f"{messages.in_both(messages.row_problem_text, problem)}")


@optout_group.command("list")
@click.option("--search", "-q", "query", default="", help="A number or a part of one.")
@click.option("--page", type=WholeNumber(1, optouts.MAX_PAGE), default=1)
@click.option("--csv", "as_csv", is_flag=True, help="The whole list as CSV instead.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="With --csv: write to this file instead of stdout.")
def list_command(query: str, page: int, as_csv: bool, output: Path | None) -> None:
    """List the opt-out list (newest first), a page at a time, or export it as CSV."""
    if as_csv:
        _export(output)
        return
    search = refusals_end(lambda: optouts.parse_search(query, masked=False))
    result = refusals_end(lambda: optouts.search(search, page, masked=False))
    for entry in result.items:
        click.echo(f"{entry.phone}\t{entry.at:%Y-%m-%d %H:%M:%S}\t{entry.via}\t{entry.by}\t"
                   f"{entry.memo or ''}")
    click.echo(f"{result.total} numbers; page {result.page} of {result.pages}", err=True)


def _export(output: Path | None) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    out = output.open("w", encoding="utf-8", newline="") if output is not None else None
    count = 0
    try:
        _write(out, "\ufeff" + buffer.getvalue())
        for entry in optouts.export_entries(masked=False):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([csv_cell(value) for value in (
                entry.phone, f"{entry.at:%Y-%m-%d %H:%M:%S}",
                via_ko(entry.via), entry.by, entry.memo or "")])
            _write(out, buffer.getvalue())
            count += 1
    finally:
        if out is not None:
            out.close()
    audit.record_by("optouts_exported", CLI_ACTOR, detail={"masked": False, "numbers": count})
    if output is not None:
        click.echo(f"{count} numbers written to {output}", err=True)


def via_ko(via: str) -> str:
    """How an opt-out was recorded, in Korean (the CSV is read in Korea, as the page's)."""
    with force_locale("ko"):
        return messages.via_text(via)


def _write(out: IO[str] | None, text: str) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write(text)
