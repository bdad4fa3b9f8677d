"""submit=true: pushed reports enter validation and approval in a real worker."""

import time

import pytest
from django.core.cache import cache

from reporting.models import Submission, SubmissionStatus
from tests.api.factories import PERIOD, api_setup, data_value_set, push

pytestmark = pytest.mark.django_db(transaction=True)


def test_submit_sends_the_pushed_report_through_validation(client, celery_worker):
    # given a token
    cache.clear()
    setup = api_setup()

    # when values are pushed with submit=true
    response = push(
        client, setup, data_value_set(setup, {"02:2": "5"}), query="submit=true"
    )

    # then the report is submitted and the worker moves it out of validation
    assert response.status_code == 200, response.json()
    assert response.json()["reports"][0]["submitted"] is True
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        status = Submission.objects.get(org_unit=setup.unit, period=PERIOD).status
        if status != SubmissionStatus.SUBMITTED:
            break
        time.sleep(0.2)
    assert status in {
        SubmissionStatus.AWAITING_REVIEW,
        SubmissionStatus.RETURNED,
        SubmissionStatus.ACCEPTED,
    }
