"""Number patterns of the lists and the search: whole, `ABC*` (prefix), `*1234` (suffix).

A card or device number filter takes a whole number, a prefix ending in `*`, or a suffix
starting with `*` (the last digits of a device number, SPEC 13). Matching is case-sensitive on
every database, so a pattern finds the same rows on SQLite and PostgreSQL:

- PostgreSQL: `LIKE 'ABC%'`, and a suffix as `reverse(number) LIKE '4321%'`. Device numbers
  are answered from `varchar_pattern_ops`/`text_pattern_ops` indexes created by PostgreSQL-only
  migrations (`device_number_pattern`, `device_number_reversed`), because the ordinary B-tree
  indexes cannot serve LIKE unless the collation is "C"; cards are in collation "C"
  (licenses.fields), so their ordinary indexes answer a prefix.
- SQLite: `GLOB 'ABC*'` (case-sensitive, and SQLite's LIKE optimisation applies to GLOB on the
  unique index), and `GLOB '*1234'` (a scan of the selected customer's rows: embedded scale).

A card suffix is accepted too but has no index of its own: it scans the selected customer's
licenses (see docs/decisions.md, "Number patterns").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import django_filters
from django import forms
from django.db.models import CharField, Lookup, Q, QuerySet, TextField

from daypass.core.errors import ValidationFailed
from daypass.core.filters import TextField as FilterTextField

WILDCARD = "*"
PATTERN_HELP = "use a whole number, a prefix like ABC* or the last digits like *1234."
Kind = Literal["exact", "prefix", "suffix"]


@dataclass(frozen=True)
class NumberPattern:
    kind: Kind
    text: str

    def q(self, field: str) -> Q:
        """A filter on `field` (a card or device number, possibly across a relation)."""
        if self.kind == "exact":
            return Q(**{field: self.text})
        return Q(**{f"{field}__{self.kind}_cs": self.text})


def number_pattern(value: str, *, field: str) -> NumberPattern:
    """Parse `ABC`, `ABC*` or `*1234`; anything else with a `*` is a `validation_error`."""
    text = value.strip()
    stars = text.count(WILDCARD)
    if stars == 0:
        return NumberPattern("exact", text)
    if stars == 1 and len(text) > 1 and text.endswith(WILDCARD):
        return NumberPattern("prefix", text[:-1])
    if stars == 1 and len(text) > 1 and text.startswith(WILDCARD):
        return NumberPattern("suffix", text[1:])
    raise ValidationFailed(message=f"{field}: {PATTERN_HELP}", field=field)


class NumberPatternField(FilterTextField):
    """Text (NUL refused, like every filter's text) parsed as a number pattern."""

    def to_python(self, value: Any) -> NumberPattern | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return number_pattern(text, field=self.label or "number")
        except ValidationFailed:
            raise forms.ValidationError(PATTERN_HELP) from None


class NumberPatternFilter(django_filters.Filter):
    """A card or device number filter taking `ABC`, `ABC*` or `*1234` (on `field_name`)."""

    field_class = NumberPatternField

    def filter(self, qs: QuerySet, value: NumberPattern | None) -> QuerySet:
        return qs if value is None else qs.filter(value.q(self.field_name))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _glob_escape(text: str) -> str:
    # GLOB has no escape character: a metacharacter is matched as a one-character class.
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


class _CaseSensitiveMatch(Lookup):
    """Base of the two lookups: the right-hand side must be a plain string."""

    prepare_rhs = False
    suffix = False

    def _sides(self, compiler: Any, connection: Any) -> tuple[str, list[Any], str]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not isinstance(self.rhs, str):
            raise TypeError("Number patterns take a plain string.")
        return lhs, list(lhs_params), self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params, text = self._sides(compiler, connection)
        if self.suffix:
            # Matches the expression index reverse(number) text_pattern_ops.
            return f"REVERSE({lhs}) LIKE %s", [*params, _like_escape(text[::-1]) + "%"]
        return f"{lhs} LIKE %s", [*params, _like_escape(text) + "%"]

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params, text = self._sides(compiler, connection)
        if self.suffix:
            return f"{lhs} GLOB %s", [*params, "*" + _glob_escape(text)]
        return f"{lhs} GLOB %s", [*params, _glob_escape(text) + "*"]


class PrefixCaseSensitive(_CaseSensitiveMatch):
    lookup_name = "prefix_cs"


class SuffixCaseSensitive(_CaseSensitiveMatch):
    lookup_name = "suffix_cs"
    suffix = True


for _field in (CharField, TextField):
    _field.register_lookup(PrefixCaseSensitive)
    _field.register_lookup(SuffixCaseSensitive)
