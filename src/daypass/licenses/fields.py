"""The card number's column: byte order ("C" collation) on PostgreSQL.

Card numbers are ASCII, and SQLite already compares them byte by byte (BINARY). With the
column's collation "C" on PostgreSQL too, the ordinary B-tree indexes that hold the card (the
unique one, and every (customer, …, card) list order) answer `card LIKE 'ABC%'` themselves
(daypass.core.matching), so no `varchar_pattern_ops` twin of the card has to be written on every
charge, sale and return (migration licenses/0008 drops it); and the order of cards is the same
on both databases whatever the database's default collation.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class CardField(models.CharField):
    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters
