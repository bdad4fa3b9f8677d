"""Publishing approved figures as observations, and withdrawing them.

``observations_publish`` upserts on the natural key (indicator, dimension key, unit,
period): a current observation that already comes from the event is left alone, so a
retried or repeated task publishes exactly once; any other current one is superseded
(kept as history, linked to its successor). Each call is one transaction of a few
set-based statements, serialised per report by an advisory lock.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from core.audit import audit_context
from indicators.models import (
    CellMapping,
    Observation,
    ObservationStatus,
    PublishingPolicy,
)
from reporting.models import Submission, SubmissionStatus
from workflow.models import ApprovalEvent, EventAction

logger = logging.getLogger(__name__)

_LOCK_NAMESPACE = 8_008  # pg_advisory_xact_lock(namespace, submission id)


def dim_key_of(dims: dict[str, str]) -> str:
    """Return the canonical text of dimension values: "AGE=Y15T64;SEX=F"."""
    return ";".join(f"{key}={dims[key]}" for key in sorted(dims))


def _lock(submission_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, submission_id]
        )


def _status_for(regime_id: int) -> str:
    policy = PublishingPolicy.objects.filter(regime_id=regime_id).first()
    return policy.status if policy else ObservationStatus.OFFICIAL


def _parse(text) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def observations_publish(*, submission_id: int, event_id: int) -> int:
    """Turn the mapped cells of the revision approved by ``event_id`` into current
    observations; return how many were inserted (0 when already published, when
    the event is not a final approval, or when a later unapproval overtook it)."""
    with (
        transaction.atomic(),
        audit_context(acting_user=None, action="observations_publish", event=event_id),
    ):
        _lock(submission_id)
        event = ApprovalEvent.objects.get(pk=event_id, submission_id=submission_id)
        if event.to_status != SubmissionStatus.ACCEPTED or event.revision_id is None:
            return 0
        if ApprovalEvent.objects.filter(
            submission_id=submission_id, pk__gt=event_id, action=EventAction.UNAPPROVE
        ).exists():
            return 0
        submission = Submission.objects.select_related("template").get(pk=submission_id)
        values = event.revision.values
        now = timezone.now()
        status = _status_for(submission.template.regime_id)
        new: dict[tuple[int, str], Observation] = {}
        for mapping in CellMapping.objects.filter(
            form_version_id=submission.form_version_id
        ):
            value = _parse(values.get(f"{mapping.row_code}:{mapping.column}", ""))
            if value is None:
                continue
            dim_key = dim_key_of(mapping.dims)
            new[mapping.indicator_id, dim_key] = Observation(
                indicator_id=mapping.indicator_id,
                dim_key=dim_key,
                dims=mapping.dims,
                org_unit_id=submission.org_unit_id,
                period=submission.period,
                period_start=submission.period_start,
                period_end=submission.period_end,
                value=value,
                status=status,
                is_current=True,
                published_at=now,
                submission_id=submission_id,
                revision_id=event.revision_id,
                approval_event_id=event_id,
            )
        current = Observation.objects.filter(
            org_unit_id=submission.org_unit_id,
            period=submission.period,
            is_current=True,
        ).filter(
            # The unit's other reports feed other keys; only these keys, and this
            # report's own earlier figures, are touched.
            indicator_id__in={key[0] for key in new}
        ) | Observation.objects.filter(submission_id=submission_id, is_current=True)
        current = list(
            current.values_list(
                "pk", "indicator_id", "dim_key", "approval_event_id", "submission_id"
            )
        )
        done = {(i, d) for _pk, i, d, e, _s in current if e == event_id}
        if done and done >= set(new):
            return 0
        superseded = [
            pk for pk, i, d, e, _s in current if (i, d) in new and e != event_id
        ]
        dropped = [
            pk for pk, i, d, e, s in current if (i, d) not in new and s == submission_id
        ]
        to_insert = [obs for key, obs in new.items() if key not in done]
        Observation.objects.filter(pk__in=superseded + dropped).update(is_current=False)
        Observation.objects.filter(pk__in=dropped).update(withdrawn_at=now)
        _insert(to_insert)
        _link_superseded(superseded, event_id)
        return len(to_insert)


def observations_publish_many(*, events) -> tuple[int, list[tuple[int, int]]]:
    """Publish the figures of each (submission id, event id) of ``events``, each
    in its own transaction; return how many observations were inserted and the
    pairs that failed with an error a retry cannot mend (the others are done).
    Errors of the database or the broker propagate, for the task to retry."""
    inserted, failed = 0, []
    for submission_id, event_id in events:
        try:
            inserted += observations_publish(
                submission_id=submission_id, event_id=event_id
            )
        except (OperationalError, InterfaceError, ConnectionError):
            raise
        except Exception:
            logger.exception("Publishing approval event %s failed", event_id)
            failed.append((submission_id, event_id))
    return inserted, failed


def _insert(observations: list[Observation]) -> None:
    Observation.objects.bulk_create(observations, batch_size=2000)


def _link_superseded(ids: list[int], event_id: int) -> None:
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE indicators_observation old SET superseded_by_id = new.id
            FROM indicators_observation new
            WHERE old.id = ANY(%s) AND new.approval_event_id = %s AND new.is_current
              AND new.indicator_id = old.indicator_id AND new.dim_key = old.dim_key
              AND new.org_unit_id = old.org_unit_id AND new.period = old.period
            """,
            [ids, event_id],
        )


def observations_withdraw(*, submission_id: int, event_id: int) -> int:
    """Withdraw the current observations published from the report before the
    unapproval ``event_id`` (kept as history); return how many."""
    with (
        transaction.atomic(),
        audit_context(acting_user=None, action="observations_withdraw", event=event_id),
    ):
        _lock(submission_id)
        event = ApprovalEvent.objects.get(pk=event_id, submission_id=submission_id)
        if event.action != EventAction.UNAPPROVE:
            return 0
        return Observation.objects.filter(
            submission_id=submission_id,
            is_current=True,
            approval_event_id__lt=event_id,
        ).update(is_current=False, withdrawn_at=timezone.now())
