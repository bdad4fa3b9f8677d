"""Template filters for lengths of time."""

import datetime

from django import template
from django.utils.timesince import timesince
from django.utils.translation import ngettext_lazy

register = template.Library()

# Django's own Vietnamese catalogue lacks these (it still has the older "%d hour").
TIME_STRINGS = {
    "year": ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    "month": ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    "week": ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    "day": ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    "hour": ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    "minute": ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
}


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """Return ``value`` in words in the active language, e.g. "1 giờ 30 phút"."""
    if not value:
        return ""
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    return timesince(start, now=start + value, time_strings=TIME_STRINGS, depth=2)
