"""Messages Django shows to users that its Vietnamese catalogue lacks.

Django's ``vi`` catalogue lags behind its source: these msgids changed or were added
after it was last translated, so users would meet them in English. Marking them here
makes ``makemessages`` keep them in ``locale/vi``, whose translations take precedence
over Django's own. Nothing imports the tuple; it exists for the extractor.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_CATALOGUE_GAPS = (
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Ensure this value is a multiple of step size %(limit_value)s."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Value must be valid JSON."),
    ngettext_lazy(
        "Please submit at most %(num)d form.", "Please submit at most %(num)d forms."
    ),
    ngettext_lazy(
        "Please submit at least %(num)d form.", "Please submit at least %(num)d forms."
    ),
    gettext_noop(
        "%(datetime)s couldn’t be interpreted in time zone %(current_timezone)s; "
        "it may be ambiguous or it may not exist."
    ),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
)
