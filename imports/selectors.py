"""Reads for Excel uploads: whose uploads a user may see, and the bulk look-ups the
dry run needs (units by id or code, reports and lock exceptions of many units)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from forms.definition.periods import Period
from forms.models import FormTemplate, FormVersion, VersionStatus
from imports.models import ImportJob, ImportReport
from orgunits.models import OrgUnit
from orgunits.selectors import grants_of
from reporting.models import LockException
from reporting.selectors import submissions_visible_to


def import_jobs_visible_to(user) -> QuerySet[ImportJob]:
    """A user sees their own uploads; a superuser sees every upload."""
    jobs = ImportJob.objects.select_related("created_by", "form")
    if getattr(user, "is_superuser", False) and user.is_active:
        return jobs
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return jobs.none()
    return jobs.filter(created_by=user)


def access_import_job_by_id(user, job_id) -> ImportJob:
    """Return the upload if ``user`` may see it; 404 otherwise."""
    try:
        return import_jobs_visible_to(user).get(pk=job_id)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such upload") from None


def import_reports_of(job: ImportJob) -> QuerySet[ImportReport]:
    return job.reports.select_related(
        "org_unit", "form_version", "form_version__template"
    ).order_by("position")


def user_reports_anywhere(user) -> bool:
    """Return whether ``user`` holds a reporter role on any unit."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(grant.role == "reporter" for grant in grants_of(user))


def forms_for_upload() -> QuerySet[FormTemplate]:
    """The forms a long table may be read against: those with a published version."""
    return FormTemplate.objects.filter(
        versions__status=VersionStatus.PUBLISHED
    ).distinct()


def form_versions_by_id(ids: Iterable[int]) -> dict[int, FormVersion]:
    return FormVersion.objects.select_related("template").in_bulk(set(ids))


def form_templates_by_code(codes: Iterable[str]) -> dict[str, FormTemplate]:
    return {
        template.code: template
        for template in FormTemplate.objects.filter(code__in=set(codes))
    }


def units_by_id(ids: Iterable[int]) -> dict[int, OrgUnit]:
    return OrgUnit.objects.select_related("level").in_bulk(set(ids))


def units_by_code(codes: Iterable[str]) -> dict[str, list[OrgUnit]]:
    """Return every unit carrying each code (codes are reused across the reform);
    a code typed as a number ("4" for "00004") finds the zero-padded code."""
    codes = {code for code in codes if code}
    units = OrgUnit.objects.select_related("level")
    found: dict[str, list[OrgUnit]] = {}
    for unit in units.filter(code__in=codes):
        found.setdefault(unit.code, []).append(unit)
    short = {code.lstrip("0") for code in codes - set(found) if code.isdigit()}
    short.discard("")
    if short:
        pattern = r"^0+(" + "|".join(sorted(short)) + r")$"
        for unit in units.filter(code__regex=pattern):
            found.setdefault(unit.code.lstrip("0"), []).append(unit)
    return found


def valid_during(unit: OrgUnit, period: Period) -> bool:
    return unit.is_valid_on(period.start) or unit.is_valid_on(period.end)


def current_submissions(user, keys: Iterable[tuple[int, int, str]]) -> dict:
    """Return the reports ``user`` may see among (template id, unit id, period) keys,
    with their current revisions, by key."""
    keys = set(keys)
    if not keys:
        return {}
    templates = {key[0] for key in keys}
    units = {key[1] for key in keys}
    periods = {key[2] for key in keys}
    found = {}
    for submission in submissions_visible_to(user).filter(
        template_id__in=templates, org_unit_id__in=units, period__in=periods
    ):
        key = (submission.template_id, submission.org_unit_id, submission.period)
        if key in keys:
            found[key] = submission
    return found


def lock_exceptions_until(
    keys: Iterable[tuple[int, int, str]],
) -> dict[tuple[int, int, str], datetime.date]:
    """Return the day entry stays reopened until, for the keys that have one."""
    keys = set(keys)
    if not keys:
        return {}
    rows = LockException.objects.filter(
        template_id__in={key[0] for key in keys},
        org_unit_id__in={key[1] for key in keys},
        period__in={key[2] for key in keys},
    ).values_list("template_id", "org_unit_id", "period", "until")
    return {
        (template, unit, period): until
        for template, unit, period, until in rows
        if (template, unit, period) in keys
    }
