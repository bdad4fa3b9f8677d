"""Write a form version as a JSON document (see docs/form-definition.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forms.models import FormVersion
from forms.selectors import form_version_by_code
from forms.services import form_version_export


class Command(BaseCommand):
    help = gettext_lazy(
        "Print a form version as JSON: export_form CODE [--version N] > form.json"
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is Django's (it prints Django's version); here it picks the form
        # version, as operators expect.
        return super().create_parser(
            prog_name, subcommand, conflict_handler="resolve", **kwargs
        )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--version", dest="number", type=int, default=None)

    def handle(self, *args, code, number, **options):
        try:
            version = form_version_by_code(code, number)
        except FormVersion.DoesNotExist:
            raise CommandError(
                _("No form %(code)s (version %(number)s).")
                % {"code": code, "number": number or _("newest")}
            ) from None
        self.stdout.write(form_version_export(version), ending="")
