"""Load a form version from a JSON document written by export_form."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forms.services import FormImportError, form_import


class Command(BaseCommand):
    help = gettext_lazy("Import form versions from JSON files written by export_form.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        for path in paths:
            try:
                text = Path(path).read_bytes()
            except OSError as error:
                raise CommandError(
                    _("Cannot read %(path)s: %(error)s")
                    % {"path": path, "error": error}
                ) from None
            try:
                version, created = form_import(acting_user=None, text=text)
            except FormImportError as error:
                raise CommandError(
                    _("%(path)s was not imported:") % {"path": path}
                    + "\n  "
                    + "\n  ".join(error.messages)
                ) from None
            message = (
                _("%(code)s version %(number)d imported.")
                if created
                else _(
                    "%(code)s version %(number)d is already present; nothing changed."
                )
            )
            self.stdout.write(
                message % {"code": version.template.code, "number": version.number}
            )
