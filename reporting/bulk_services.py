"""Bulk writes about reports: opening and saving many at once (Excel imports, the
data API), each judged by the rules of a single save.

``submissions_open_bulk`` opens reports as ``services.submission_open`` does, and
``submissions_save_bulk`` saves them as ``services.submission_save_draft`` does: the
same cell checks, editability, lock exceptions and conflicts, in one transaction
with a few queries and COPY for the revisions. Reports not stored yet can be
stored with their first revision.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.bulk import bulk_create_by_copy, bulk_update_by_values, draw_keys
from forms.definition.grid import cell_grid
from forms.definition.model import CellState, DataType
from forms.definition.periods import parse_period
from forms.models import FormTemplate, FormVersion
from orgunits.models import OrgUnit
from orgunits.selectors import user_has_role
from reporting.bulk_selectors import AssignmentFinder
from reporting.engine.values import CANONICAL_DECIMAL, CANONICAL_INTEGER
from reporting.models import Assignment, LockException, Revision, Submission
from reporting.selectors import window_for
from reporting.services import (
    ReportError,
    SubmissionConflict,
    SubmissionNotEditable,
    SubmissionValuesInvalid,
    _check_editable_in,
    _digest,
    _parse_values,
    _with_computed,
    cell_specs,
    clean_cell_comments,
)

_NUMERIC = frozenset(t for t in DataType if t.is_numeric)


def _lines_of(pattern: re.Pattern) -> re.Pattern:
    """A pattern matching lines each matched by ``pattern`` (and nothing else)."""
    return re.compile(f"(?:{pattern.pattern})(?:\n(?:{pattern.pattern}))*")


_INTEGER_LINES = _lines_of(CANONICAL_INTEGER)
_NUMBER_LINES = _lines_of(
    re.compile(f"{CANONICAL_INTEGER.pattern}|{CANONICAL_DECIMAL.pattern}")
)


def _all_match(lines: re.Pattern, texts: list[str]) -> bool:
    """Whether ``lines`` matches all ``texts``, checked in one pass over them
    joined by line feeds (none of which may be in a text)."""
    if not texts:
        return True
    joined = "\n".join(texts)
    return joined.count("\n") == len(texts) - 1 and bool(lines.fullmatch(joined))


@dataclass(frozen=True)
class NumberCells:
    """The number input cells of a form version by their usual names ("01:2"):
    those that take whole numbers, and all. It tells which values are numbers in
    their canonical form, as ``BulkSaveItem.canonical_values`` takes them."""

    integers: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, specs: dict) -> NumberCells:
        inputs = {
            cell: spec.data_type
            for cell, spec in specs.items()
            if spec.state is CellState.INPUT and spec.data_type in _NUMERIC
        }
        return cls(
            integers=frozenset(c for c, t in inputs.items() if t is DataType.INTEGER),
            numbers=frozenset(inputs),
        )

    def canonical(self, cell: str, text: str) -> bool:
        """Whether ``text`` is a number in its canonical form for ``cell``."""
        return cell in self.numbers and bool(
            CANONICAL_INTEGER.fullmatch(text)
            or (cell not in self.integers and CANONICAL_DECIMAL.fullmatch(text))
        )

    def split(self, values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Split ``values`` into the numbers already in their canonical form (for
        ``BulkSaveItem.canonical_values``) and the rest."""
        if self.all_canonical(values):
            return dict(values), {}
        canonical: dict[str, str] = {}
        rest: dict[str, str] = {}
        for cell, text in values.items():
            (canonical if self.canonical(cell, text) else rest)[cell] = text
        return canonical, rest

    def all_canonical(self, values: dict[str, str]) -> bool:
        """Whether every value is a number in its canonical form in a number input
        cell named as usual: whole in whole-number cells."""
        cells = values.keys()
        if not cells <= self.numbers:
            return False
        whole = cells & self.integers
        get = values.__getitem__
        return _all_match(_INTEGER_LINES, list(map(get, whole))) and _all_match(
            _NUMBER_LINES, list(map(get, cells - whole))
        )


@dataclass(frozen=True)
class BulkSaveItem:
    """One report of a bulk save: what was typed and the revision it started from."""

    submission: Submission
    raw_values: dict[str, str]
    base_revision: int
    comments: dict[str, str] | None = None
    # Values the caller has already checked and put in canonical form, as
    # ``parse_submitted_values`` returns them: input cells of the submission's form
    # version (checked here by name; if one is not, all are checked as typed) and
    # their canonical text, stored without being parsed again. Give only values
    # matched against reporting.engine.values.CANONICAL_INTEGER/CANONICAL_DECIMAL
    # for the cell's data type (an API push does); everything else goes in raw_values.
    canonical_values: dict[str, str] | None = None


@dataclass(frozen=True)
class BulkSaveResult:
    """The outcome of one item: a revision (``created`` when new) or the refusal."""

    submission: Submission
    revision: Revision | None = None
    created: bool = False
    error: ReportError | None = None


class _BulkContext:
    """Look-ups a bulk save or open makes once: grids and definitions per form
    version, assignments per form, windows per (assignment, period)."""

    def __init__(self) -> None:
        self._versions: dict[int, FormVersion] = {}
        self._grids: dict[int, dict] = {}
        self._grid_cells: dict[int, set[str]] = {}
        self._input_cells: dict[int, frozenset[str]] = {}
        self._specs: dict[int, dict] = {}
        self._computes: dict[int, bool] = {}
        self._finder = AssignmentFinder()
        self._windows: dict[tuple, object] = {}

    def version(self, version: FormVersion) -> FormVersion:
        """Return one shared instance per version, so its definition is parsed once."""
        return self._versions.setdefault(version.pk, version)

    def grid(self, version: FormVersion) -> dict:
        if version.pk not in self._grids:
            grid = cell_grid(self.version(version).form_definition)
            self._grids[version.pk] = grid
            self._grid_cells[version.pk] = {f"{r}:{c}" for r, c in grid}
        return self._grids[version.pk]

    def grid_cells(self, version: FormVersion) -> set[str]:
        self.grid(version)
        return self._grid_cells[version.pk]

    def input_cells(self, version: FormVersion) -> frozenset[str]:
        if version.pk not in self._input_cells:
            self._input_cells[version.pk] = frozenset(
                f"{row}:{column}"
                for (row, column), spec in self.grid(version).items()
                if spec.state is CellState.INPUT
            )
        return self._input_cells[version.pk]

    def computes(self, version: FormVersion) -> bool:
        """Whether the form version has computed cells."""
        if version.pk not in self._computes:
            self._computes[version.pk] = any(
                spec.state is CellState.COMPUTED for spec in self.grid(version).values()
            )
        return self._computes[version.pk]

    def specs(self, version: FormVersion) -> dict:
        if version.pk not in self._specs:
            self._specs[version.pk] = cell_specs(self.grid(version))
        return self._specs[version.pk]

    def assignment(self, template, unit: OrgUnit, period) -> Assignment | None:
        return self._finder.covering(template, unit, period)

    def window(self, submission: Submission):
        period = parse_period(submission.period)
        assignment = self.assignment(submission.template, submission.org_unit, period)
        key = (submission.form_version_id, assignment and assignment.pk, period.id)
        if key not in self._windows:
            self._windows[key] = window_for(
                self.version(submission.form_version), assignment, period
            )
        return self._windows[key]


def submissions_open_bulk(
    *, acting_user, keys: list[tuple[FormVersion, OrgUnit, str]], create: bool = True
) -> dict[tuple[int, int, str], Submission | ReportError]:
    """Open many reports as ``submission_open`` does, in one transaction.

    Return, by (form version id, unit id, period id) of ``keys``, the report or the
    refusal ``submission_open`` would have raised; a refused key opens nothing.
    Without ``create``, reports not stored yet are returned unsaved, for
    ``submissions_save_bulk`` to store with their first revision.
    """
    context = _BulkContext()
    wanted: dict[tuple[int, int, str], tuple] = {}
    results: dict[tuple[int, int, str], Submission | ReportError] = {}
    for version, unit, period in keys:
        period_obj = parse_period(period)
        key = (version.pk, unit.pk, period_obj.id)
        if not user_has_role(acting_user, "reporter", unit):
            results[key] = SubmissionNotEditable(
                _("You do not report for %(unit)s.") % {"unit": unit.name}
            )
        elif not unit.is_valid_on(period_obj.start) and not unit.is_valid_on(
            period_obj.end
        ):
            results[key] = SubmissionNotEditable(
                _("%(unit)s did not exist in %(period)s.")
                % {"unit": unit.name, "period": period_obj.label}
            )
        elif context.assignment(version.template, unit, period_obj) is None:
            results[key] = SubmissionNotEditable(
                _("%(unit)s does not report %(form)s for %(period)s.")
                % {
                    "unit": unit.name,
                    "form": version.template.code,
                    "period": period_obj.label,
                }
            )
        else:
            wanted[key] = (version, unit, period_obj)
    if not wanted:
        return results
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_open"),
    ):
        found = _submissions_of(wanted.values())
        missing = [
            (version, unit, period_obj)
            for version, unit, period_obj in wanted.values()
            if (version.template_id, unit.pk, period_obj.id) not in found
        ]
        if missing:
            found.update(
                _submissions_create(missing) if create else _submissions_new(missing)
            )
    for key, (version, unit, period_obj) in wanted.items():
        submission = found[(version.template_id, unit.pk, period_obj.id)]
        if submission.form_version_id == version.pk:
            submission.form_version = version  # not fetched again, one per report
        results[key] = submission
    return results


def _submissions_of(keys) -> dict[tuple[int, int, str], Submission]:
    """The stored reports of ``keys`` (form version, unit, period), by (form, unit,
    period id), with their current revisions."""
    keys = list(keys)
    return {
        (s.template_id, s.org_unit_id, s.period): s
        for s in Submission.objects.filter(
            template__in={v.template_id for v, _u, _p in keys},
            org_unit__in={u.pk for _v, u, _p in keys},
            period__in={p.id for _v, _u, p in keys},
        ).select_related("current_revision")
    }


def _submissions_new(keys) -> dict[tuple[int, int, str], Submission]:
    """Unsaved reports of ``keys``, by (form, unit, period id)."""
    return {
        (version.template_id, unit.pk, period_obj.id): Submission(
            template=version.template,
            form_version=version,
            org_unit=unit,
            period=period_obj.id,
            period_start=period_obj.start,
            period_end=period_obj.end,
            current_revision=None,
        )
        for version, unit, period_obj in keys
    }


def _submissions_create(keys) -> dict[tuple[int, int, str], Submission]:
    """Create the reports of ``keys``, none stored a moment ago, with COPY; should
    one have been created meanwhile, insert the others around it and read it."""
    new = list(_submissions_new(keys).values())
    try:
        with transaction.atomic():
            bulk_create_by_copy(new)
    except IntegrityError:  # one was opened meanwhile
        for submission in new:
            submission.pk = None
            submission._state.adding = True
        Submission.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        return _submissions_of(keys)
    return {(s.template_id, s.org_unit_id, s.period): s for s in new}


def _attach_related(
    locked_by_id: dict[int, Submission], items: list[BulkSaveItem]
) -> None:
    """Give each locked submission its form and unit: the items' own (forms and
    units do not change under a report), the others read in one query each."""
    templates, units = {}, {}
    for item in items:
        given = item.submission
        if Submission.template.is_cached(given):
            templates[given.template_id] = given.template
        if Submission.org_unit.is_cached(given):
            units[given.org_unit_id] = given.org_unit
    locked = locked_by_id.values()
    missing = {s.template_id for s in locked} - templates.keys()
    templates.update(FormTemplate.objects.in_bulk(missing) if missing else {})
    missing = {s.org_unit_id for s in locked} - units.keys()
    units.update(OrgUnit.objects.in_bulk(missing) if missing else {})
    for submission in locked:
        submission.template = templates[submission.template_id]
        submission.org_unit = units[submission.org_unit_id]


def _attach_current_revisions(
    locked_by_id: dict[int, Submission], items: list[BulkSaveItem]
) -> None:
    """Give each locked submission its current revision: the one the item's
    submission already holds when it is still current (revisions never change),
    the others read in one query."""
    known = {}
    for item in items:
        given = item.submission
        if Submission.current_revision.is_cached(given) and given.current_revision:
            known[given.current_revision.pk] = given.current_revision
    missing = {
        s.current_revision_id
        for s in locked_by_id.values()
        if s.current_revision_id is not None and s.current_revision_id not in known
    }
    if missing:
        known.update(Revision.objects.in_bulk(missing))
    for submission in locked_by_id.values():
        revision_id = submission.current_revision_id
        submission.current_revision = known[revision_id] if revision_id else None


def submissions_save_bulk(
    *,
    acting_user,
    items: list[BulkSaveItem],
    source: str,
    today: datetime.date | None = None,
) -> list[BulkSaveResult]:
    """Save many reports as ``submission_save_draft`` saves one, in one transaction.

    Each item is checked by the same rules (cells refused, report not editable,
    someone saved in between); a refused item is reported in its result's ``error``
    (SubmissionValuesInvalid, SubmissionNotEditable or SubmissionConflict) and the
    others are saved. Results are in the order of ``items``.

    An item's report may be one not stored yet, as ``submissions_open_bulk`` gives
    it with ``create=False``: it is stored with its first revision. Should another
    request have stored that report meanwhile, IntegrityError is raised and
    nothing is saved.
    """
    today = today or timezone.localdate()
    context = _BulkContext()
    prepared: list[tuple[dict, dict] | ReportError] = []
    for item in items:
        version = item.submission.form_version
        grid = context.grid(version)
        raw_values, trusted = item.raw_values, item.canonical_values
        if trusted and not trusted.keys() <= context.input_cells(version):
            # Checked as typed, then: a typed number takes a decimal comma.
            typed = {cell: text.replace(".", ",") for cell, text in trusted.items()}
            raw_values, trusted = {**typed, **raw_values}, None
        values, problems = _parse_values(grid, raw_values, context.specs(version))
        if trusted:
            values = {**trusted, **values}
        clean_comments, refused = clean_cell_comments(
            item.comments, context.grid_cells(version)
        )
        problems += refused
        if problems:
            prepared.append(SubmissionValuesInvalid(problems))
            continue
        definition = context.version(version).form_definition
        computed = _with_computed(
            definition, grid, values, computes=context.computes(version)
        )
        prepared.append((computed, clean_comments))
    results: list[BulkSaveResult | None] = [None] * len(items)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="submission_save"),
    ):
        ids = {item.submission.pk for item in items if item.submission.pk is not None}
        # Reports not stored yet (``submissions_open_bulk(create=False)``) are stored
        # below, with their first revision.
        unsaved = {
            id(item.submission): item.submission
            for item in items
            if item.submission.pk is None
        }
        locked_by_id = {
            s.pk: s
            for s in Submission.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
        }
        _attach_related(locked_by_id, items)
        _attach_current_revisions(locked_by_id, items)
        # The items' versions are shared: each definition is decoded once.
        versions = {
            item.submission.form_version_id: context.version(
                item.submission.form_version
            )
            for item in items
        }
        missing = {s.form_version_id for s in locked_by_id.values()} - set(versions)
        versions.update(FormVersion.objects.select_related("template").in_bulk(missing))
        for submission in locked_by_id.values():
            submission.form_version = versions[submission.form_version_id]
        reports = [*locked_by_id.values(), *unsaved.values()]
        exceptions = {
            (e.template_id, e.org_unit_id, e.period): e.until
            for e in LockException.objects.filter(
                template__in={s.template_id for s in reports},
                org_unit__in={s.org_unit_id for s in reports},
                period__in={s.period for s in reports},
            )
        }
        new_revisions: list[Revision] = []
        new_positions: list[int] = []
        touched: dict[int, Submission] = {}
        for position, (item, ready) in enumerate(zip(items, prepared, strict=True)):
            locked = (
                item.submission
                if item.submission.pk is None
                else locked_by_id[item.submission.pk]
            )
            if isinstance(ready, ReportError):
                results[position] = BulkSaveResult(locked, error=ready)
                continue
            values, clean_comments = ready
            try:
                _check_editable_in(
                    acting_user,
                    locked,
                    today=today,
                    window=lambda s=locked: context.window(s),
                    exception_until=lambda s=locked: exceptions.get(
                        (s.template_id, s.org_unit_id, s.period)
                    ),
                )
                current = locked.current_revision
                if locked.revision_count != item.base_revision:
                    raise SubmissionConflict(
                        locked,
                        item.base_revision,
                        current.values if current else {},
                        values,
                    )
            except ReportError as error:
                results[position] = BulkSaveResult(locked, error=error)
                continue
            if (
                current is not None
                and current.values == values
                and current.comments == clean_comments
            ):
                results[position] = BulkSaveResult(locked, current, False)
                continue
            revision = Revision(
                submission=locked,
                number=locked.revision_count + 1,
                created_by=acting_user if getattr(acting_user, "pk", None) else None,
                source=source,
                values=values,
                comments=clean_comments,
                digest=_digest(locked, values),
            )
            # A report given twice is saved once, the later item meeting a conflict.
            locked.revision_count = revision.number
            locked.current_revision = revision
            new_revisions.append(revision)
            new_positions.append(position)
            touched[id(locked)] = locked
        created = [s for s in touched.values() if s.pk is None]
        for submission, key in zip(
            created, draw_keys(Submission, len(created)) if created else (), strict=True
        ):
            submission.pk = key
        for revision in new_revisions:
            revision.submission = revision.submission  # its key, drawn just now
        bulk_create_by_copy(new_revisions)
        now = timezone.now()
        for submission in touched.values():
            # The revisions have their ids only now that they are stored.
            submission.current_revision = submission.current_revision
            submission.updated_at = now
        # New reports are stored with their revision (the keys refer to each
        # other; PostgreSQL checks them at commit); a report stored meanwhile
        # raises IntegrityError and nothing is saved.
        bulk_create_by_copy(created)
        created_now = {id(s) for s in created}.__contains__
        bulk_update_by_values(
            [s for s in touched.values() if not created_now(id(s))],
            ["revision_count", "current_revision", "updated_at"],
        )
        for position, revision in zip(new_positions, new_revisions, strict=True):
            results[position] = BulkSaveResult(revision.submission, revision, True)
    return results
