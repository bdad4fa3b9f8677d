"""Template filter showing a stored figure as officers read it (1.234,5)."""

from django import template

from reporting.engine.values import display_number

register = template.Library()


@register.filter
def figure(value) -> str:
    """Return ``value`` grouped by dots with a decimal comma and no trailing zeros
    (a Decimal of the store carries six places); "–" when there is none."""
    if value is None or value == "":
        return "–"
    try:
        return display_number(value)
    except (ArithmeticError, ValueError):
        return str(value)
