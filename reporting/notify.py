"""Messages to people about their reports."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from reporting.models import Receipt


def receipt_email_send(*, receipt_id: int) -> bool:
    """E-mail the receipt to its submitter once (idempotent under retries)."""
    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update()
            .select_related(
                "submission__template",
                "submission__org_unit",
                "submitted_by",
                "revision",
            )
            .get(pk=receipt_id)
        )
        if receipt.emailed_at is not None or not receipt.submitted_by.email:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            context = {"receipt": receipt, "submission": receipt.submission}
            subject = render_to_string(
                "reporting/receipt_email_subject.txt", context
            ).strip()
            body = render_to_string("reporting/receipt_email.txt", context)
        send_mail(
            subject, body, settings.DEFAULT_FROM_EMAIL, [receipt.submitted_by.email]
        )
        receipt.emailed_at = timezone.now()
        receipt.save(update_fields=["emailed_at"])
        return True
