"""CSV answers: UTF-8 with a BOM (so Excel reads Hangul), formula cells neutralised, never
cached, whole or streamed row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

from smsform.services.csv_cells import csv_cell

BOM = "\ufeff"
#: How many rows go into one chunk of a streamed answer.
CHUNK_ROWS = 200


def _lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The BOM and the header, then the rows CHUNK_ROWS at a time, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    yield BOM + out.getvalue()
    count = 0
    for row in rows:
        if count == 0:
            out.seek(0)
            out.truncate()
        writer.writerow([csv_cell(value) for value in row])
        count += 1
        if count == CHUNK_ROWS:
            yield out.getvalue()
            count = 0
    if count:
        yield out.getvalue()


def _headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={filename}",
            "Cache-Control": "no-store"}


def csv_response(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[object]]) -> Response:
    """A small CSV answer, built at once."""
    return Response("".join(_lines(header, rows)), mimetype="text/csv",
                    headers=_headers(filename))


def csv_stream(filename: str, header: Sequence[str],
               rows: Iterable[Sequence[object]]) -> Response:
    """A CSV answer streamed while ``rows`` (a lazy iterable) is read, in flat memory."""
    chunks = (chunk.encode("utf-8") for chunk in _lines(header, rows))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers=_headers(filename))
