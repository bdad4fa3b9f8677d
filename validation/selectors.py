"""Reads about validation: the stored result of a report's current revision."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from reporting.models import Submission
from validation.models import ValidationResult


def violation_cell_key(violation: dict) -> str:
    """Return the cell an explanation of ``violation`` is recorded under."""
    if violation["row"] is None and violation["column"] is None:
        return ""
    return f"{violation['row'] or '*'}:{violation['column'] or '*'}"


@dataclass
class Finding:
    violation: dict
    cell: str
    explanation: str = ""

    @property
    def importance(self) -> str:
        return self.violation["importance"]

    @property
    def message(self) -> str:
        return self.violation["message"]

    @property
    def rule(self) -> str:
        return self.violation["rule"]


@dataclass
class RevisionFindings:
    result: ValidationResult
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.importance == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.importance == "warning"]


def revision_findings(submission: Submission | None) -> RevisionFindings | None:
    """Return the stored result of the report's current revision, each warning with
    the reporter's explanation; None when that revision was never checked."""
    if submission is None or submission.current_revision_id is None:
        return None
    result = ValidationResult.objects.filter(
        revision_id=submission.current_revision_id
    ).first()
    if result is None:
        return None
    explained = {
        (rule, cell): text
        for rule, cell, text in submission.explanations.values_list(
            "rule", "cell", "text"
        )
    }
    findings = []
    for violation in result.violations:
        cell = violation_cell_key(violation)
        findings.append(
            Finding(violation, cell, explained.get((violation["rule"], cell), ""))
        )
    return RevisionFindings(result, findings)


def latest_result_flags(submission_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Return (errors, unexplained warnings) of each report's current revision's
    check, by submission id; reports never checked are left out. Two queries."""
    from validation.models import WarningExplanation

    results = ValidationResult.objects.filter(
        revision__submission_id__in=submission_ids,
        revision__submission__current_revision_id=models.F("revision_id"),
    ).values_list("revision__submission_id", "errors", "warnings", "violations")
    flagged = {}
    warned = []
    for submission_id, errors, warnings, violations in results:
        flagged[submission_id] = (errors, violations if warnings else [])
        if warnings:
            warned.append(submission_id)
    explained: dict[int, set] = {}
    for submission_id, rule, cell in WarningExplanation.objects.filter(
        submission_id__in=warned
    ).values_list("submission_id", "rule", "cell"):
        explained.setdefault(submission_id, set()).add((rule, cell))
    flags = {}
    for submission_id, (errors, violations) in flagged.items():
        done = explained.get(submission_id, set())
        unexplained = sum(
            1
            for violation in violations
            if violation["importance"] == "warning"
            and (violation["rule"], violation_cell_key(violation)) not in done
        )
        flags[submission_id] = (errors, unexplained)
    return flags
