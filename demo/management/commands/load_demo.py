"""Create the demo accounts (run after load_admin_units)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from demo.services import (
    demo_agencies_load,
    demo_assignments_load,
    demo_chains_load,
    demo_forms_load,
    demo_indicators_load,
    demo_users_load,
)


class Command(BaseCommand):
    help = gettext_lazy(
        "Import the real forms, create the demo agencies and accounts (one per role "
        "and level) and assign the forms to their reporting units."
    )

    def handle(self, *args, **options):
        steps = [
            (demo_forms_load, _("Forms imported: %(items)s")),
            (demo_agencies_load, _("Agencies created: %(items)s")),
            (demo_users_load, _("Demo accounts created: %(items)s")),
            (demo_chains_load, _("Approval chains put in force: %(items)s")),
            (demo_indicators_load, _("Indicators created: %(items)s")),
            (
                demo_assignments_load,
                _("Forms assigned to their reporting units: %(items)s"),
            ),
        ]
        changed = False
        for step, message in steps:
            created = step()
            if created:
                changed = True
                self.stdout.write(message % {"items": ", ".join(created)})
        if not changed:
            self.stdout.write(_("The demo data is already complete; nothing changed."))
