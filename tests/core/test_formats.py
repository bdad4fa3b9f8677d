"""Vietnamese formats: 1.234,5 and dd/mm/yyyy, in output and in form input."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.utils import formats, translation


@pytest.fixture
def vietnamese():
    with translation.override("vi"):
        yield


def test_numbers_use_a_dot_for_thousands_and_a_comma_for_decimals(vietnamese):
    assert (
        formats.number_format(Decimal("1234.5"), use_l10n=True, force_grouping=True)
        == "1.234,5"
    )
    assert formats.number_format(1234567, use_l10n=True) == "1.234.567"
    assert formats.localize(Decimal("1234567.25")) == "1.234.567,25"


def test_dates_read_day_month_year(vietnamese):
    day = datetime.date(2026, 12, 25)
    assert formats.date_format(day) == "25/12/2026"
    assert formats.date_format(day, "SHORT_DATE_FORMAT") == "25/12/2026"
    assert formats.date_format(datetime.date(2026, 3, 5)) == "05/03/2026"


class FigureForm(forms.Form):
    day = forms.DateField()
    amount = forms.DecimalField(localize=True, max_digits=12, decimal_places=2)


def test_forms_accept_vietnamese_dates_and_numbers(vietnamese):
    # given what a Vietnamese user types
    form = FigureForm(data={"day": "25/12/2026", "amount": "1.234,5"})

    # then the form reads it as meant
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "day": datetime.date(2026, 12, 25),
        "amount": Decimal("1234.5"),
    }


def test_forms_accept_grouped_integers_and_plain_decimals(vietnamese):
    assert FigureForm(data={"day": "01/07/2025", "amount": "1.234.567"}).is_valid()
    form = FigureForm(data={"day": "1/7/2025", "amount": "12,75"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("12.75")


def test_forms_reject_month_day_year(vietnamese):
    form = FigureForm(data={"day": "12/25/2026", "amount": "1"})
    assert not form.is_valid()
    assert "day" in form.errors


def test_localized_widget_shows_vietnamese_number(vietnamese):
    form = FigureForm(initial={"amount": Decimal("1234.5")})
    assert 'value="1.234,5"' in str(form["amount"])
