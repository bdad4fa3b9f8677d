"""Write the indicator catalogue (dimensions, codes, indicators) as JSON."""

import sys

from django.core.management.base import BaseCommand

from indicators.services import indicators_export


class Command(BaseCommand):
    help = "Export the indicator catalogue as JSON (to a file, or to stdout)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="output file; stdout if omitted")

    def handle(self, *args, path=None, **options):
        data = indicators_export()
        if path:
            with open(path, "wb") as output:
                output.write(data)
        else:
            sys.stdout.buffer.write(data)
