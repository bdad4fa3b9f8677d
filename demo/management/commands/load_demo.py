"""Create the demo accounts (run after load_admin_units)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from demo.services import demo_forms_load, demo_users_load


class Command(BaseCommand):
    help = gettext_lazy(
        "Create the demo accounts, one per role and level, and import the real forms."
    )

    def handle(self, *args, **options):
        created = demo_users_load()
        if created:
            self.stdout.write(
                _("Demo accounts created: %(names)s") % {"names": ", ".join(created)}
            )
        else:
            self.stdout.write(_("Demo accounts already exist; nothing changed."))
        forms = demo_forms_load()
        if forms:
            self.stdout.write(
                _("Forms imported: %(codes)s") % {"codes": ", ".join(forms)}
            )
        else:
            self.stdout.write(_("Forms already present; nothing changed."))
