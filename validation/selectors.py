"""Reads about validation: the stored result of a report's current revision."""

from __future__ import annotations

from dataclasses import dataclass, field

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
