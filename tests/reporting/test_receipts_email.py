"""The receipt e-mail, end to end: a real Celery worker on the real Redis broker sends
exactly one message per submission, and running the task again sends nothing more.

Transactional: the worker thread reads what the submission committed. The database may
start empty here, so the units come from make_small_tree and the form from the catalog.
"""

import datetime
import time

import pytest
from django.core import mail

from reporting.models import Receipt
from reporting.notify import receipt_email_send
from reporting.services import (
    submission_open,
    submission_save_draft,
)
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from workflow.services import submission_submit
from workflow.tasks import submission_submitted

DAY = datetime.date(2026, 3, 1)


def wait_until_emailed(receipt_id: int, timeout: float = 30.0) -> Receipt:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = Receipt.objects.get(pk=receipt_id)
        if receipt.emailed_at is not None:
            return receipt
        time.sleep(0.2)
    pytest.fail(f"receipt {receipt_id} not e-mailed after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_submitting_sends_one_receipt_email_and_a_rerun_sends_none(celery_worker):
    # given a commune reporter with an e-mail address and a saved report
    tree = make_small_tree()
    version = catalog_version()
    assign(version, tree.province, first_period="2025")
    reporter = make_user(
        role="reporter",
        unit=tree.commune,
        full_name="Lê Thị Hoa",
        email="hoa@example.vn",
    )
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "12"},
        base_revision=0,
        today=DAY,
    )
    mail.outbox.clear()

    # when the report is submitted (the task is queued after the commit)
    receipt = submission_submit(
        acting_user=reporter, submission=submission, base_revision=1, today=DAY
    )

    # then the worker e-mails the receipt, once, to the submitter
    receipt = wait_until_emailed(receipt.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hoa@example.vn"]
    assert receipt.number in message.subject
    assert receipt.digest in message.body
    assert "Xã An Hòa" in message.body
    first_sent = receipt.emailed_at

    # when the task runs again (a retry, a redelivery after a worker restart)
    submission_submitted.delay(submission.pk, receipt.pk).get(timeout=30)

    # then nothing more is sent
    assert len(mail.outbox) == 1
    assert Receipt.objects.get(pk=receipt.pk).emailed_at == first_sent
    assert receipt_email_send(receipt_id=receipt.pk) is False
    assert len(mail.outbox) == 1
