"""Create or update the indicator catalogue from a file made by export_indicators."""

from django.core.management.base import BaseCommand, CommandError

from indicators.services import CatalogueInvalid, indicators_import


class Command(BaseCommand):
    help = "Import an indicator catalogue (JSON made by export_indicators)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            with open(path, "rb") as source:
                report = indicators_import(acting_user=None, file=source)
        except CatalogueInvalid as error:
            raise CommandError("\n".join(error.messages)) from None
        self.stdout.write(
            f"{report.dimensions} dimensions, {report.codes} codes, "
            f"{report.indicators} indicators"
        )
