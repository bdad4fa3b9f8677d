"""Receipts: the page (who sees it, what it says), the PDF, the canonical values whose
SHA-256 is the receipt's digest, and verification by page and by command, which fails
once a stored value has been tampered with."""

import datetime
import hashlib
import io
import re
import shutil
import subprocess
import unicodedata

import pgtrigger
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import role_revoke
from reporting.engine.digest import canonical_values, values_digest
from reporting.models import Revision
from reporting.receipts import Verdict, access_receipt_by_number, receipt_verify
from reporting.services import (
    submission_open,
    submission_save_draft,
)
from tests.factories import make_user
from tests.orgunits.factories import make_small_tree
from tests.reporting.factories import assign, catalog_version
from workflow.services import submission_submit

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def tree():
    return make_small_tree()


@pytest.fixture
def receipt(tree):
    version = catalog_version()
    assign(version, tree.province, first_period="2025")
    reporter = make_user(
        role="reporter",
        unit=tree.commune,
        full_name="Trần Văn Bình",
        email="binh@example.vn",
    )
    submission = submission_open(
        acting_user=reporter, form_version=version, unit=tree.commune, period="2025"
    )
    submission_save_draft(
        acting_user=reporter,
        submission=submission,
        raw_values={"02:2": "1.234", "04:2": "10", "17:2": "2"},
        comments={"02:2": "Tập thể\tlao động"},
        base_revision=0,
        today=DAY,
    )
    return submission_submit(
        acting_user=reporter, submission=submission, base_revision=1, today=DAY
    )


def tamper(revision: Revision, **changes) -> None:
    """Change a stored revision behind the application's back."""
    with pgtrigger.ignore("reporting.Revision:revision_is_immutable"):
        Revision.objects.filter(pk=revision.pk).update(**changes)


def vi(message: str, **params) -> str:
    with translation.override("vi"):
        return _(message) % params if params else _(message)


# --- The page ----------------------------------------------------------------------------


def test_the_receipt_page_says_who_sent_what_when_and_its_digest(client, receipt):
    client.force_login(receipt.submitted_by)

    response = client.get(
        reverse("reporting:receipt", kwargs={"number": receipt.number})
    )

    html = response.content.decode()
    assert response.status_code == 200
    local = timezone.localtime(receipt.issued_at)
    assert local.strftime("%d/%m/%Y %H:%M:%S") in html
    for text in [
        receipt.number,
        receipt.digest,
        "Trần Văn Bình",
        "Xã An Hòa",
        "T9001",
        "0603.N/BNV-TĐKT",
        "Năm 2025",
        "ebaocao-values/1\t0603.N/BNV-TĐKT\t1\tT9001\t2025",
    ]:
        assert text in html, text
    assert "data-print hidden" in html  # shown by print-button.js, never inline


def test_the_receipt_is_seen_by_the_submitter_and_above_and_by_no_one_else(
    client, tree, receipt
):
    url = reverse("reporting:receipt", kwargs={"number": receipt.number})
    reviewer = make_user(role="reviewer", unit=tree.province)
    colleague = make_user(role="reporter", unit=tree.commune)
    stranger = make_user(role="reporter", unit=tree.sibling_commune)
    other_reviewer = make_user(role="reviewer", unit=tree.other_district)
    for user, status in [
        (reviewer, 200),
        (colleague, 200),
        (stranger, 404),
        (other_reviewer, 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user

    # the submitter keeps the receipt after moving to another job
    role_revoke(
        acting_user=None, user=receipt.submitted_by, unit=tree.commune, role="reporter"
    )
    submitter = type(receipt.submitted_by).objects.get(pk=receipt.submitted_by_id)
    client.force_login(submitter)
    assert client.get(url).status_code == 200
    assert access_receipt_by_number(submitter, receipt.number.lower()) == receipt


def test_an_unknown_receipt_number_is_a_404(client, receipt):
    client.force_login(receipt.submitted_by)
    url = reverse("reporting:receipt", kwargs={"number": "BN20000101-0000000"})
    assert client.get(url).status_code == 404


def test_the_canonical_values_hash_to_the_receipts_digest(client, receipt):
    client.force_login(receipt.submitted_by)

    response = client.get(
        reverse("reporting:receipt_values", kwargs={"number": receipt.number})
    )

    body = response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert hashlib.sha256(body).hexdigest() == receipt.digest
    lines = body.decode("utf-8").splitlines()
    assert lines[0] == "ebaocao-values/1\t0603.N/BNV-TĐKT\t1\tT9001\t2025"
    assert "02\t2\t1234" in lines
    assert "17\t2\t2" in lines
    # sorted by row code, then column number
    cells = [tuple(line.split("\t")[:2]) for line in lines[1:]]
    assert cells == sorted(cells, key=lambda cell: (cell[0], int(cell[1])))


def test_the_receipt_prints_as_a_pdf(client, receipt):
    client.force_login(receipt.submitted_by)
    response = client.get(
        reverse("reporting:receipt_pdf", kwargs={"number": receipt.number})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"{receipt.number}.pdf" in response["Content-Disposition"]
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-raw", "-", "-"],
            input=response.content,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        for expected in [receipt.number, "Xã An Hòa", "Trần Văn Bình"]:
            assert expected in text, expected
        assert receipt.digest in re.sub(r"\s", "", text)  # it may wrap


# --- Verification ------------------------------------------------------------------------


def test_an_untouched_report_matches_its_receipt(receipt):
    verdict = receipt_verify(number=receipt.number, digest=receipt.digest.upper())
    assert verdict.verdict is Verdict.MATCHES
    assert verdict.recomputed_digest == receipt.digest == receipt.revision.digest
    recomputed = values_digest(
        receipt.revision.values,
        form_code="0603.N/BNV-TĐKT",
        version=1,
        unit_code="T9001",
        period="2025",
    )
    assert recomputed == receipt.digest


@pytest.mark.parametrize(
    "number, digest, expected",
    [
        ("BN20000101-0000000", "", Verdict.UNKNOWN_RECEIPT),
        (None, "0" * 64, Verdict.DIGEST_DIFFERS),
        (None, "abc", Verdict.MALFORMED_DIGEST),
        (None, "", Verdict.MATCHES),
    ],
)
def test_verification_verdicts(receipt, number, digest, expected):
    verdict = receipt_verify(number=number or receipt.number, digest=digest)
    assert verdict.verdict is expected
    assert verdict.ok is (expected is Verdict.MATCHES)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"02:2": "1235"}, id="a figure changed"),
        pytest.param({"03:2": "1"}, id="a figure added"),
        pytest.param({"17:2": None}, id="a figure removed"),
    ],
)
def test_tampering_with_the_stored_values_fails_verification(receipt, changes):
    # given someone changed the stored values behind the application's back
    values = dict(receipt.revision.values)
    for cell, value in changes.items():
        if value is None:
            values.pop(cell)
        else:
            values[cell] = value
    tamper(receipt.revision, values=values)

    # when the holder checks the receipt
    verdict = receipt_verify(number=receipt.number, digest=receipt.digest)

    # then it does not match
    assert verdict.verdict is Verdict.VALUES_CHANGED
    assert verdict.recomputed_digest != receipt.digest


def test_tampering_with_values_and_stored_digest_together_still_fails(receipt):
    values = {**receipt.revision.values, "02:2": "9999"}
    submission = receipt.submission
    forged = values_digest(
        values,
        form_code=submission.template.code,
        version=submission.form_version.number,
        unit_code=submission.org_unit.code,
        period=submission.period,
    )
    tamper(receipt.revision, values=values, digest=forged)

    verdict = receipt_verify(number=receipt.number)

    assert verdict.verdict is Verdict.VALUES_CHANGED


def test_the_verify_page_recomputes_and_answers_in_vietnamese(client, receipt):
    client.force_login(make_user())  # any signed-in user holding the receipt
    url = reverse("reporting:receipt_verify")

    with translation.override("vi"):
        response = client.get(url, {"number": receipt.number, "digest": receipt.digest})
    verdict = response.context["verdict"]
    assert verdict.ok
    html = response.content.decode()
    assert verdict.message() in html
    assert vi("The receipt matches the stored report.") in html
    assert 'lang="vi"' in html

    tamper(receipt.revision, values={**receipt.revision.values, "02:2": "1"})
    response = client.get(url, {"number": receipt.number, "digest": receipt.digest})
    assert response.context["verdict"].verdict is Verdict.VALUES_CHANGED
    assert vi("The receipt does not match.") in response.content.decode()


def test_the_verify_page_takes_the_canonical_values_file(client, receipt):
    client.force_login(receipt.submitted_by)
    kept = client.get(
        reverse("reporting:receipt_values", kwargs={"number": receipt.number})
    ).content

    response = client.post(
        reverse("reporting:receipt_verify"),
        {
            "number": receipt.number,
            "canonical": SimpleUploadedFile("values.txt", kept, "text/plain"),
        },
    )
    assert response.context["verdict"].ok

    response = client.post(
        reverse("reporting:receipt_verify"),
        {
            "number": receipt.number,
            "canonical": SimpleUploadedFile("values.txt", kept + b"01\t9\t1\n"),
        },
    )
    assert response.context["verdict"].verdict is Verdict.DIGEST_DIFFERS


def test_the_verify_page_asks_for_something_to_compare(client, receipt):
    client.force_login(receipt.submitted_by)
    response = client.post(reverse("reporting:receipt_verify"), {"number": "BN1"})
    assert response.context["verdict"] is None
    assert response.context["form"].non_field_errors() == [
        _("Give the digest on the receipt, or the canonical values file.")
    ]


def test_the_verify_page_needs_a_sign_in(client):
    response = client.get(reverse("reporting:receipt_verify"))
    assert response.status_code == 302


def run_command(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_receipt", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_command_prints_the_verdict_in_vietnamese_with_its_exit_code(receipt):
    code, out, _err = run_command(receipt.number, "--digest", receipt.digest)
    assert code == 0
    expected = receipt_verify(number=receipt.number)
    with translation.override("vi"):
        assert expected.message() in out

    code, _out, err = run_command(receipt.number, "--digest", "f" * 64)
    assert code == 1
    assert receipt.number in err

    code, _out, err = run_command("BN20000101-0000000")
    assert code == 1
    assert (
        vi("No receipt has the number %(number)s.", number="BN20000101-0000000") in err
    )


def test_the_command_fails_on_tampered_values_and_shows_the_digests(receipt):
    tamper(receipt.revision, values={**receipt.revision.values, "04:2": "11"})

    code, out, err = run_command(receipt.number, "--verbosity", "2")

    assert code == 1
    assert re.search(rf"{receipt.digest}", out)
    recomputed = receipt_verify(number=receipt.number).recomputed_digest
    assert recomputed in out and recomputed != receipt.digest
    assert receipt.number in err


@pytest.mark.parametrize(
    "value", ["12", "-0.25", "ABC", "a\tb", "x\\y", "Tổng số", "Tô\u0309ng", "1e5", ""]
)
def test_each_value_is_written_in_nfc_with_its_escapes(value):
    expected = (
        unicodedata.normalize("NFC", value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
    )
    header = {"form_code": "F", "version": 1, "unit_code": "U", "period": "2025"}
    lines = canonical_values({"01:1": value}, **header).decode().splitlines()
    assert lines[1:] == ([f"01\t1\t{expected}"] if value else [])


def test_canonical_values_follow_the_documented_form_on_random_reports():
    import random

    from reporting.engine.digest import FORMAT

    def documented(values, *, form_code, version, unit_code, period):
        """The canonical form as docs/data-entry.md describes it, line by line."""

        def escaped(text):
            text = unicodedata.normalize("NFC", text)
            for raw, escape in (("\\", "\\\\"), ("\t", "\\t"), ("\r", "\\r")):
                text = text.replace(raw, escape)
            return text.replace("\n", "\\n")

        lines = [
            f"{FORMAT}\t{escaped(form_code)}\t{version}\t{escaped(unit_code)}\t{period}\n"
        ]
        filled = [(cell, text) for cell, text in values.items() if text]
        for cell, text in sorted(
            filled, key=lambda item: (item[0].rpartition(":")[0], int(item[0][-1]))
        ):
            row, _sep, column = cell.rpartition(":")
            lines.append(f"{escaped(row)}\t{int(column)}\t{escaped(text)}\n")
        return "".join(lines).encode()

    rng = random.Random(8)
    texts = [
        "1234.5",
        "-3",
        "0",
        "",
        None,
        "Tổng số",
        "a\tb",
        "x\\y",
        "e\u0301",
        "1\n2",
    ]
    header = {
        "form_code": "0603.N/BNV",
        "version": 2,
        "unit_code": "T9",
        "period": "2026",
    }
    for _attempt in range(500):
        # given a report's values in any order, some empty, some needing escapes
        cells = rng.sample(
            [f"{r:02d}:{c}" for r in range(1, 12) for c in range(1, 9)], 12
        )
        values = {cell: rng.choice(texts) for cell in cells}
        # then its canonical bytes are those the documentation describes
        assert canonical_values(values, **header) == documented(values, **header)
