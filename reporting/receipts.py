"""Reads about receipts: who may see one, the canonical values it vouches for, and the
check that a stored revision still matches the receipt issued for it.

A receipt records the SHA-256 digest of the submitted values in their canonical form
(reporting.engine.digest, documented in docs/data-entry.md). Verification recomputes
the digest from the values stored today and compares it with the receipt and with
the digest stored beside the revision: a stored value changed after the fact, by
whatever means, no longer gives the digest on the receipt.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

from django.http import Http404
from django.utils.translation import gettext as _

from reporting.engine.digest import canonical_values, values_digest
from reporting.models import Receipt, Revision, Submission
from reporting.selectors import submissions_visible_to

DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")
_RECEIPT_RELATED = (
    "submission__template",
    "submission__form_version",
    "submission__org_unit",
    "submission__org_unit__level",
    "submitted_by",
    "revision",
)


def normalize_receipt_number(text: str) -> str:
    """Return a receipt number as issued (upper case, no surrounding spaces)."""
    return (text or "").strip().upper()


def normalize_digest(text: str) -> str:
    """Return a hex digest in lower case without the spaces or colons people paste."""
    return re.sub(r"[\s:]", "", text or "").lower()


def access_receipt_by_number(user, number: str) -> Receipt:
    """Return the receipt for its submitter and for those who can see the report;
    404 for anyone else, as for an unknown number."""
    receipt = (
        Receipt.objects.select_related(*_RECEIPT_RELATED)
        .filter(number=normalize_receipt_number(number))
        .first()
    )
    if receipt is None or not getattr(user, "is_authenticated", False):
        raise Http404("No such receipt")
    if receipt.submitted_by_id == user.pk:
        return receipt
    if submissions_visible_to(user).filter(pk=receipt.submission_id).exists():
        return receipt
    raise Http404("No such receipt")


def receipts_of_submission(submission: Submission) -> list[Receipt]:
    """Return the receipts issued for a report, newest first."""
    return list(
        submission.receipts.select_related("submitted_by", "revision").order_by(
            "-issued_at"
        )
    )


def _header(submission: Submission) -> dict:
    return {
        "form_code": submission.template.code,
        "version": submission.form_version.number,
        "unit_code": submission.org_unit.code,
        "period": submission.period,
    }


def revision_canonical_bytes(revision: Revision) -> bytes:
    """Return the canonical form of the values stored for ``revision`` today."""
    return canonical_values(revision.values, **_header(revision.submission))


def revision_recomputed_digest(revision: Revision) -> str:
    """Return the SHA-256 recomputed from the values stored for ``revision`` today."""
    return values_digest(revision.values, **_header(revision.submission))


def canonical_header_line(submission: Submission) -> str:
    """Return the first line of the canonical form of a report's values."""
    return canonical_values({}, **_header(submission)).decode("utf-8").rstrip("\n")


class Verdict(enum.StrEnum):
    MATCHES = "matches"
    UNKNOWN_RECEIPT = "unknown_receipt"
    MALFORMED_DIGEST = "malformed_digest"
    DIGEST_DIFFERS = "digest_differs"
    VALUES_CHANGED = "values_changed"


@dataclass(frozen=True)
class ReceiptVerdict:
    """The outcome of checking a receipt against the stored report."""

    verdict: Verdict
    number: str
    receipt: Receipt | None = None
    given_digest: str = ""
    recomputed_digest: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.MATCHES

    @property
    def stored_digest(self) -> str:
        return self.receipt.revision.digest if self.receipt else ""

    def message(self) -> str:
        """Return the verdict in words, in the active language."""
        if self.verdict is Verdict.UNKNOWN_RECEIPT:
            return _("No receipt has the number %(number)s.") % {"number": self.number}
        if self.verdict is Verdict.MALFORMED_DIGEST:
            return _(
                "A SHA-256 digest is 64 hexadecimal characters (0–9 and a–f); "
                "check that you copied it completely."
            )
        if self.verdict is Verdict.DIGEST_DIFFERS:
            return _(
                "The digest you gave is not the one on receipt %(number)s: the values "
                "you hold are not the values that were submitted with this receipt."
            ) % {"number": self.number}
        submission = self.receipt.submission
        params = {
            "number": self.number,
            "revision": self.receipt.revision.number,
            "form": submission.template.code,
            "unit": submission.org_unit.name,
            "period": submission.period,
        }
        if self.verdict is Verdict.VALUES_CHANGED:
            return (
                _(
                    "Receipt %(number)s does NOT match: the values stored for revision "
                    "%(revision)d of report %(form)s of %(unit)s for %(period)s no "
                    "longer give the digest on the receipt. Tell the statistics office."
                )
                % params
            )
        return (
            _(
                "Receipt %(number)s matches: revision %(revision)d of report %(form)s "
                "of %(unit)s for %(period)s still holds exactly the values that were "
                "submitted."
            )
            % params
        )


def receipt_verify(
    *, number: str, digest: str = "", canonical: bytes | None = None
) -> ReceiptVerdict:
    """Check that the stored revision still matches receipt ``number``.

    ``digest`` is the SHA-256 the holder has (from the receipt), ``canonical`` the
    canonical values they kept (its SHA-256 is used instead); with neither, the
    stored revision is checked against the receipt alone. The digest is recomputed
    from the stored values and must equal both the receipt's digest and the digest
    stored with the revision.
    """
    number = normalize_receipt_number(number)
    given = ""
    if canonical is not None:
        given = hashlib.sha256(canonical).hexdigest()
    elif digest:
        given = normalize_digest(digest)
        if not DIGEST_PATTERN.fullmatch(given):
            return ReceiptVerdict(Verdict.MALFORMED_DIGEST, number, given_digest=given)
    receipt = (
        Receipt.objects.select_related(*_RECEIPT_RELATED).filter(number=number).first()
    )
    if receipt is None:
        return ReceiptVerdict(Verdict.UNKNOWN_RECEIPT, number, given_digest=given)
    if given and given != receipt.digest:
        return ReceiptVerdict(
            Verdict.DIGEST_DIFFERS, number, receipt=receipt, given_digest=given
        )
    revision = receipt.revision
    revision.submission = receipt.submission
    recomputed = revision_recomputed_digest(revision)
    matches = recomputed == receipt.digest == revision.digest
    return ReceiptVerdict(
        Verdict.MATCHES if matches else Verdict.VALUES_CHANGED,
        number,
        receipt=receipt,
        given_digest=given,
        recomputed_digest=recomputed,
    )
