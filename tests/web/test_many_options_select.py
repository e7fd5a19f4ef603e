"""web.forms.ManyOptionsSelect writes the same `<select>` as Django's template-rendered one."""

import pytest
from django import forms
from django.test.html import parse_html

from daypass.web.forms import ManyOptionsSelect

CHOICES = [("", "—"), ("C000001", 'Platform <b> & "q"'), ("C000002", "\u00a0\u00a0└ Dealer")]


class Both(forms.Form):
    fast = forms.ChoiceField(choices=CHOICES, widget=ManyOptionsSelect)
    plain = forms.ChoiceField(choices=CHOICES)


@pytest.mark.parametrize("value", [None, "", "C000001", "C000002", "<nope>"])
def test_the_same_markup_as_djangos_select(value):
    form = Both(data=None if value is None else {"fast": value, "plain": value})
    if value is not None:
        form.is_valid()
    fast = str(form["fast"]).replace('"id_fast"', '"id_X"').replace('"fast"', '"X"')
    plain = str(form["plain"]).replace('"id_plain"', '"id_X"').replace('"plain"', '"X"')
    fast = fast.replace("id_fast_error", "id_X_error")
    plain = plain.replace("id_plain_error", "id_X_error")
    assert parse_html(fast) == parse_html(plain)
