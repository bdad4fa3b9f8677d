"""Load Vietnam's administrative units, before and after the 2025 reform."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgunits.services import admin_units_load

ROWS = [
    ("national", "national", gettext_lazy("National")),
    ("legacy", "province", gettext_lazy("Provinces until 30/06/2025")),
    ("legacy", "district", gettext_lazy("Districts until 30/06/2025")),
    ("legacy", "commune", gettext_lazy("Communes until 30/06/2025")),
    ("current", "province", gettext_lazy("Provinces from 01/07/2025")),
    ("current", "commune", gettext_lazy("Communes from 01/07/2025")),
]


class Command(BaseCommand):
    help = gettext_lazy(
        "Load Vietnam's administrative units (before and after 01/07/2025) with the "
        "successor map. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        report = admin_units_load()
        for set_name, level, label in ROWS:
            key = (set_name, level)
            self.stdout.write(
                _(
                    "%(level)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged"
                )
                % {
                    "level": label,
                    "created": report.created[key],
                    "updated": report.updated[key],
                    "unchanged": report.unchanged[key],
                }
            )
        self.stdout.write(
            _("Successor map: %(created)d new links, %(total)d links in all")
            % {"created": report.successors_created, "total": report.successors_total}
        )
        if report.changed:
            self.stdout.write(self.style.SUCCESS(_("Administrative units loaded.")))
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Nothing changed: the list is already complete."))
            )
