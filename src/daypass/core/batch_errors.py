"""Per-row errors of a batch that is checked whole before anything is written (SPEC 13).

`devices_import` and the console's previews report every bad row at once, each with the error
code and message a single operation would give, `row` counted from 1. The API answers
`RowErrors` as a 422 whose error envelope carries `"rows": [{"row", "code", "message"}]`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from daypass.core.errors import DaypassError, ValidationFailed


@dataclass(frozen=True)
class RowError:
    row: int
    code: str
    message: str

    @classmethod
    def of(cls, row: int, error: DaypassError) -> RowError:
        return cls(row=row, code=error.code, message=error.message)


class RowErrors(ValidationFailed):
    """Some rows of a batch are bad: nothing was written."""

    def __init__(self, rows: list[RowError], *, what: str = "rows") -> None:
        self.rows = sorted(rows, key=lambda error: error.row)
        first = self.rows[0]
        more = f" ({len(self.rows) - 1} more bad {what})" if len(self.rows) > 1 else ""
        super().__init__(message=f"Row {first.row}: {first.message}{more}")

    def rows_out(self) -> list[dict]:
        return [asdict(error) for error in self.rows]
