"""Check that the stored report still matches a receipt: exit 0 if so, 1 if not."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reporting.receipts import receipt_verify


class Command(BaseCommand):
    help = gettext_lazy(
        "Check that the stored revision still matches a receipt: "
        "verify_receipt NUMBER [--digest HEX]. Exit code 0 if it matches, 1 if not."
    )

    def add_arguments(self, parser):
        parser.add_argument("number")
        parser.add_argument(
            "--digest",
            default="",
            help=gettext_lazy("The SHA-256 printed on the receipt the holder has."),
        )

    def handle(self, *args, number, digest, **options):
        with translation.override(settings.LANGUAGE_CODE):
            verdict = receipt_verify(number=number, digest=digest)
            if verdict.receipt is not None and options["verbosity"] > 1:
                for label, value in (
                    (_("Digest on the receipt"), verdict.receipt.digest),
                    (_("Digest stored with the revision"), verdict.stored_digest),
                    (_("Digest recomputed from the values"), verdict.recomputed_digest),
                    (_("Digest given"), verdict.given_digest),
                ):
                    if value:
                        self.stdout.write(f"{label}: {value}")
            if verdict.ok:
                self.stdout.write(self.style.SUCCESS(verdict.message()))
                return
            self.stderr.write(self.style.ERROR(verdict.message()))
        sys.exit(1)
