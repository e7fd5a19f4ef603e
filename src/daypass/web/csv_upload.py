"""Reading the CSV files the console's batch pages take (SPEC 13: device import, bulk bind).

One home for what an uploaded CSV may be: UTF-8 (a byte-order mark is allowed), no NUL byte,
at most `max_rows` lines of exactly the page's columns, an optional header line naming them.
The file's text travels from the preview to the confirmation in a hidden field and is read
again there with the same rules (the preview is never trusted).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from daypass.web.error_messages import error_text

# Bytes of one upload (and of the text carried to the confirmation): 10,000 lines of about
# 200 characters; below Django's DATA_UPLOAD_MAX_MEMORY_SIZE so the hidden field fits.
MAX_CSV_BYTES = 2_000_000


class CsvRejected(Exception):
    """The file as a whole cannot be read; `message` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CsvLine:
    row: int  # counted from 1, the header not counted (the services' row numbers)
    cells: list[str]


def csv_text_of_upload(upload) -> str:
    """The text of an uploaded file, or `CsvRejected`."""
    if upload is None:
        raise CsvRejected(_("Choose a CSV file."))
    if upload.size > MAX_CSV_BYTES:
        raise CsvRejected(
            _("The file is too large: at most %(size)s MB.") % {"size": MAX_CSV_BYTES // 1_000_000}
        )
    return csv_text_of_bytes(upload.read())


def csv_text_of_bytes(data: bytes) -> str:
    if b"\x00" in data:
        raise CsvRejected(_("The file holds a NUL byte: it is not a CSV text file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRejected(_("The file is not UTF-8 text: save it as CSV UTF-8.")) from None


def csv_lines(
    text: str, *, columns: tuple[str, ...], max_rows: int, headers: tuple[tuple[str, ...], ...] = ()
) -> list[CsvLine]:
    """The non-blank lines of `text`, each with exactly `len(columns)` trimmed cells; a first
    line naming the columns (or one of `headers`) is a header and skipped. Raises
    `CsvRejected`."""
    if "\x00" in text:
        raise CsvRejected(_("The file holds a NUL byte: it is not a CSV text file."))
    if len(text.encode()) > MAX_CSV_BYTES:
        raise CsvRejected(
            _("The file is too large: at most %(size)s MB.") % {"size": MAX_CSV_BYTES // 1_000_000}
        )
    lines: list[CsvLine] = []
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise CsvRejected(_("The file is not valid CSV: %(error)s") % {"error": error}) from None
    records = [[cell.strip() for cell in record] for record in records]
    records = [record for record in records if any(record)]
    if records and tuple(cell.lower() for cell in records[0]) in (columns, *headers):
        records = records[1:]
    if not records:
        raise CsvRejected(_("The file has no lines."))
    if len(records) > max_rows:
        raise CsvRejected(
            ngettext(
                "The file has %(count)d lines: at most %(max)d line can be read at once.",
                "The file has %(count)d lines: at most %(max)d lines can be read at once.",
                max_rows,
            )
            % {"count": len(records), "max": max_rows}
        )
    for row, record in enumerate(records, start=1):
        if len(record) != len(columns):
            raise CsvRejected(
                _("Line %(row)d has %(found)d cells; every line needs %(columns)s.")
                % {"row": row, "found": len(record), "columns": ",".join(columns)}
            )
        lines.append(CsvLine(row=row, cells=record))
    return lines


def preview_lines(lines: list[CsvLine], errors, outcomes: dict[int, str] | None = None) -> list:
    """Every line as (line, texts of its errors, outcome); a `RowError.row` is the line's
    `row`, `outcomes` what a good line will do (by row)."""
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error_text(error))
    outcomes = outcomes or {}
    return [(line, by_row.get(line.row, []), outcomes.get(line.row, "")) for line in lines]
