"""Every exported cell that a spreadsheet would run as a formula is escaped (SPEC 13)."""

import pytest

from daypass.core.csv_export import csv_cell, csv_lines


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=2+5+cmd|' /C calc'!A0", "'=2+5+cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (5, "5"),
        (-5, "'-5"),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_csv_lines_escape_the_header_and_every_row():
    lines = list(csv_lines(["a", "=b"], [["=1", "x,y"], [None, "@z"]]))

    assert lines == ["\ufeffa,'=b\r\n", '\'=1,"x,y"\r\n', ",'@z\r\n"]
