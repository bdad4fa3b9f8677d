"""The upload preview runs the validation rules on the values the import would store
(the stored ones with the file's merged in) and lists the violations as warnings."""

import pytest
from django.urls import reverse

from imports.models import ImportJobStatus
from imports.services import import_job_commit, import_job_confirm
from tests.imports.factories import fill, report_setup, template_bytes, upload

pytestmark = pytest.mark.django_db

# Row 02 ("Tập thể") is sheet row 13, row 03 ("Trong đó: Doanh nghiệp") row 14;
# column 2 is E.


def validation_conflicts(job):
    return [c for c in job.summary["conflicts"] if c["code"].startswith("validation_")]


def test_an_of_which_value_above_its_parent_is_previewed_at_its_cell():
    # given a template whose "of which" row exceeds its parent
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": 120, "E14": 150})

    # when it is uploaded
    job = upload(setup.reporter, data)

    # then the preview names the broken rule at the cell, as a warning only
    assert job.status == ImportJobStatus.PREVIEW
    assert job.summary["status"] == "WARNING"
    conflicts = [c for c in validation_conflicts(job) if c["column"] == 2]
    (conflict,) = conflicts
    assert conflict["code"] == "validation_error"
    assert conflict["severity"] == "warning"
    assert (conflict["cell"], conflict["row_code"]) == ("E14", "03")
    assert "TD03" in conflict["message"] and "150" in conflict["message"]
    assert job.reports.get().status == "ready"


def test_clean_figures_preview_without_violations():
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": 120, "E14": 15})
    job = upload(setup.reporter, data)
    assert validation_conflicts(job) == []
    assert job.summary["status"] == "SUCCESS"


def test_the_stored_values_count_with_the_uploaded_ones():
    # given a stored report with 120 in row 02
    setup = report_setup()
    first = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E13": 120})
    )
    import_job_confirm(acting_user=setup.reporter, job=first, enqueue=False)
    import_job_commit(job_id=first.pk)

    # when a file brings only row 03, above the stored parent
    job = upload(
        setup.reporter, fill(template_bytes(setup.version, setup.unit), {"E14": 130})
    )

    # then the violation is found against the stored value
    conflicts = [c for c in validation_conflicts(job) if c["column"] == 2]
    assert [c["row_code"] for c in conflicts] == ["03"]
    assert "120" in conflicts[0]["message"]


def test_the_preview_page_lists_the_violation(client):
    setup = report_setup()
    data = fill(template_bytes(setup.version, setup.unit), {"E13": 120, "E14": 150})
    job = upload(setup.reporter, data)
    client.force_login(setup.reporter)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "TD03" in page
