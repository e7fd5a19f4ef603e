"""CSV exports: streamed, UTF-8 with a BOM, and safe to open in a spreadsheet.

Every export goes through `csv_response` (or, for another writer, `csv_cell`), so a cell an
attacker controls — a sub-customer's name or username, a device number — can never become a
formula in a superior's spreadsheet (SPEC 13): any cell that starts with `=`, `+`, `-`, `@`, a
tab or a carriage return is prefixed with `'` (OWASP's "CSV injection" advice).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINES_PER_WRITE = 500


def csv_cell(value: Any) -> str:
    """The text of one cell, escaped: None is empty, a formula start gets a leading `'`."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(values: Iterable[Any]) -> list[str]:
    return [csv_cell(value) for value in values]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The file, line by line: a BOM so spreadsheet programs open the UTF-8 file (customer
    names in Chinese) right, the header, then each row with every cell escaped."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(csv_row(header))
    for row in rows:
        yield writer.writerow(csv_row(row))


def _joined(lines: Iterator[str]) -> Iterator[str]:
    # Lines go out LINES_PER_WRITE at a time: a million one-line writes to the socket would
    # cost more than the rows themselves.
    while batch := list(islice(lines, LINES_PER_WRITE)):
        yield "".join(batch)


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A streamed download (flat memory whatever the row count, with an iterator of rows)."""
    response = StreamingHttpResponse(
        _joined(csv_lines(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
