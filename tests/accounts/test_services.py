"""Bulk account creation against the real database with the country's units loaded."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import UserImportJob, UserImportStatus
from accounts.roles import Role
from accounts.services import (
    user_import_job_create,
    user_import_job_run,
    users_bulk_import,
)
from accounts.user_list import Problem, UserRow
from orgunits.models import OrgUnit
from orgunits.selectors import user_has_role
from tests.accounts.factories import ENGLISH_HEADER, account_row, csv_bytes
from tests.factories import make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
SITE = "https://baocao.example.vn/"
TODAY = datetime.date(2026, 3, 1)


def unit(code, *, on=TODAY):
    units = [u for u in OrgUnit.objects.filter(code=code) if u.is_valid_on(on)]
    assert len(units) == 1
    return units[0]


def row(line, username, unit_code="00004", role="reporter", **fields):
    return UserRow(
        line=line,
        username=username,
        full_name=fields.pop("full_name", "Nguyễn Văn An"),
        email=fields.pop("email", f"{username}@example.vn"),
        unit_code=unit_code,
        role=role,
        **fields,
    )


@pytest.fixture
def hanoi_admin():
    return make_user(role=Role.ADMINISTRATOR, unit=unit("01"), is_staff=True)


def problems_of(result):
    return [(p.line, p.column, p.code, p.params) for p in result.problems]


def test_accounts_are_created_with_roles_and_emailed_after_commit(
    hanoi_admin, django_capture_on_commit_callbacks
):
    # Given a Hà Nội administrator and two accounts for units of Hà Nội
    rows = [
        row(2, "ba_dinh_lap", "00004", "reporter", full_name="Nguyễn Văn An"),
        row(3, "ngoc_ha_duyet", "00008", "reviewer", full_name="Trần Thị Bình"),
    ]

    # When the accounts are imported
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = users_bulk_import(
            acting_user=hanoi_admin, rows=rows, site_url=SITE, today=TODAY
        )

        # Then no e-mail leaves before the commit
        assert mail.outbox == []

    assert result.ok
    an = User.objects.get(username="ba_dinh_lap")
    binh = User.objects.get(username="ngoc_ha_duyet")
    assert not an.has_usable_password()
    assert (an.last_name, an.first_name, an.email) == (
        "An",
        "Nguyễn Văn",
        "ba_dinh_lap@example.vn",
    )
    assert user_has_role(an, Role.REPORTER, unit("00004"))
    assert not user_has_role(an, Role.REVIEWER, unit("00004"))
    assert user_has_role(binh, Role.REVIEWER, unit("00008"))

    # And after the commit each new account gets a working password link
    assert len(callbacks) == 1
    callbacks[0]()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ba_dinh_lap@example.vn",
        "ngoc_ha_duyet@example.vn",
    ]
    message = next(m for m in mail.outbox if m.to == ["ba_dinh_lap@example.vn"])
    assert "ba_dinh_lap" in message.body
    link = next(line for line in message.body.splitlines() if line.startswith(SITE))
    uidb64, token = link.removeprefix(SITE + "tai-khoan/dat-lai/").strip("/").split("/")
    assert default_token_generator.check_token(an, token)


def test_the_creation_is_audited_with_the_acting_user(hanoi_admin):
    users_bulk_import(
        acting_user=hanoi_admin, rows=[row(2, "audit_me")], site_url=SITE, today=TODAY
    )

    user = User.objects.get(username="audit_me")
    event = user.events.get(pgh_label="insert")
    # Nested audit contexts share one metadata record: the bulk import's own key
    # stays beside the acting user.
    assert event.pgh_context.metadata["username"] == hanoi_admin.username
    assert event.pgh_context.metadata["rows"] == 1


def test_one_bad_row_creates_no_account_and_names_its_line(
    hanoi_admin, django_capture_on_commit_callbacks
):
    rows = [row(2, "good_one"), row(3, "bad_one", "99999"), row(4, "good_two")]

    with django_capture_on_commit_callbacks(execute=True):
        result = users_bulk_import(
            acting_user=hanoi_admin, rows=rows, site_url=SITE, today=TODAY
        )

    assert problems_of(result) == [(3, "unit_code", "unit_unknown", {"code": "99999"})]
    assert not User.objects.filter(
        username__in=["good_one", "bad_one", "good_two"]
    ).exists()
    assert mail.outbox == []


def test_a_province_administrator_cannot_create_accounts_in_another_province(
    hanoi_admin,
):
    # Given a commune of Hồ Chí Minh City, outside Hà Nội
    saigon_commune = (
        OrgUnit.objects.filter(parent=unit("79"), level__code="commune")
        .order_by("code")
        .first()
    )

    result = users_bulk_import(
        acting_user=hanoi_admin,
        rows=[row(2, "trong_ha_noi"), row(3, "ngoai_ha_noi", saigon_commune.code)],
        site_url=SITE,
        today=TODAY,
    )

    # Then the problem names the foreign unit, and nothing is created
    assert problems_of(result) == [
        (
            3,
            "unit_code",
            "unit_not_administered",
            {"code": saigon_commune.code, "name": saigon_commune.name},
        )
    ]
    assert not User.objects.filter(username="trong_ha_noi").exists()


def test_a_commune_administrator_cannot_create_accounts_for_the_province():
    commune_admin = make_user(role=Role.ADMINISTRATOR, unit=unit("00004"))

    result = users_bulk_import(
        acting_user=commune_admin,
        rows=[row(2, "xa_minh", "00004"), row(3, "tinh", "01", "reviewer")],
        site_url=SITE,
        today=TODAY,
    )

    assert [(p.line, p.code) for p in result.problems] == [(3, "unit_not_administered")]


def test_a_reviewer_cannot_create_accounts_at_all():
    reviewer = make_user(role=Role.REVIEWER, unit=unit("01"))

    result = users_bulk_import(
        acting_user=reviewer, rows=[row(2, "x")], site_url=SITE, today=TODAY
    )

    assert [p.code for p in result.problems] == ["unit_not_administered"]


def test_a_superuser_may_create_accounts_anywhere():
    root = make_user(is_superuser=True, is_staff=True)

    result = users_bulk_import(
        acting_user=root,
        rows=[row(2, "hcm", "79", "analyst"), row(3, "hn", "01", "designer")],
        site_url=SITE,
        today=TODAY,
    )

    assert result.ok
    assert user_has_role(User.objects.get(username="hcm"), Role.ANALYST, unit("79"))


def test_usernames_repeated_in_the_file_or_taken_are_refused(hanoi_admin):
    make_user(username="Da_Co")

    result = users_bulk_import(
        acting_user=hanoi_admin,
        rows=[row(2, "moi"), row(3, "da_co"), row(4, "MOI")],
        site_url=SITE,
        today=TODAY,
    )

    assert problems_of(result) == [
        (3, "username", "username_taken", {"value": "da_co"}),
        (4, "username", "username_repeated", {"value": "MOI", "first_line": 2}),
    ]


def test_invalid_emails_and_usernames_are_refused(hanoi_admin):
    result = users_bulk_import(
        acting_user=hanoi_admin,
        rows=[
            row(2, "a", email="khong-phai-email"),
            row(3, "co dau cach", email="x@y.vn"),
        ],
        site_url=SITE,
        today=TODAY,
    )

    assert problems_of(result) == [
        (2, "email", "email_invalid", {"value": "khong-phai-email"}),
        (3, "username", "username_invalid", {"value": "co dau cach"}),
    ]


def test_codes_reused_by_the_reform_resolve_on_the_given_date():
    root = make_user(is_superuser=True)

    result = users_bulk_import(
        acting_user=root,
        rows=[
            row(2, "phuong_moi", "00004"),
            row(3, "phuong_cu", "00004", valid_on=datetime.date(2024, 1, 1)),
        ],
        site_url=SITE,
        today=TODAY,
    )

    assert result.ok
    new, old = (User.objects.get(username=n) for n in ("phuong_moi", "phuong_cu"))
    assert user_has_role(new, Role.REPORTER, unit("00004"))
    old_unit = unit("00004", on=datetime.date(2024, 1, 1))
    assert old_unit.name == "Phường Trúc Bạch"
    assert user_has_role(old, Role.REPORTER, old_unit)
    assert not user_has_role(old, Role.REPORTER, unit("00004"))


def test_unit_problems_explain_what_is_wrong():
    root = make_user(is_superuser=True)

    result = users_bulk_import(
        acting_user=root,
        rows=[
            row(2, "huyen_cu", "001"),
            row(3, "sai_cap", "01", level="commune"),
            row(4, "mo_ho", "4"),
            row(5, "khong_co", "ABC"),
        ],
        site_url=SITE,
        today=TODAY,
    )

    assert problems_of(result) == [
        (2, "unit_code", "unit_not_in_force", {"code": "001", "date": "01/03/2026"}),
        (
            3,
            "unit_code",
            "unit_level_mismatch",
            {"code": "01", "date": "01/03/2026", "level": "commune"},
        ),
        (4, "unit_code", "unit_ambiguous", {"code": "4", "date": "01/03/2026"}),
        (5, "unit_code", "unit_unknown", {"code": "ABC"}),
    ]


def test_codes_that_lost_their_leading_zeros_are_found():
    root = make_user(is_superuser=True)

    result = users_bulk_import(
        acting_user=root,
        rows=[row(2, "ba_dinh", "4", level="commune"), row(3, "ha_noi", "1")],
        site_url=SITE,
        today=TODAY,
    )

    assert result.ok
    assert user_has_role(
        User.objects.get(username="ba_dinh"), Role.REPORTER, unit("00004")
    )
    assert user_has_role(User.objects.get(username="ha_noi"), Role.REPORTER, unit("01"))


def test_cells_with_problems_from_the_file_are_not_checked_again(hanoi_admin):
    result = users_bulk_import(
        acting_user=hanoi_admin,
        rows=[
            row(2, "co dau cach", "ZZ", role="", email="cdc@example.vn"),
            row(3, "ok", "00004", valid_on=None),
        ],
        problems=[
            Problem("username_invalid", line=2, column="username"),
            Problem("role_unknown", line=2, column="role"),
            Problem("date_invalid", line=3, column="valid_on"),
        ],
        site_url=SITE,
        today=TODAY,
    )

    assert [(p.line, p.column, p.code) for p in result.problems] == [
        (2, "username", "username_invalid"),
        (2, "unit_code", "unit_unknown"),
        (2, "role", "role_unknown"),
        (3, "valid_on", "date_invalid"),
    ]


def test_a_role_outside_the_known_ones_is_refused(hanoi_admin):
    result = users_bulk_import(
        acting_user=hanoi_admin,
        rows=[row(2, "x", role="boss")],
        site_url=SITE,
        today=TODAY,
    )

    assert [(p.column, p.code) for p in result.problems] == [("role", "role_unknown")]


def test_problems_from_the_file_are_merged_and_stop_the_creation(hanoi_admin):
    result = users_bulk_import(
        acting_user=hanoi_admin,
        rows=[row(2, "ok"), row(4, "ngoai", "79")],
        problems=[
            Problem("role_unknown", line=3, column="role", params={"value": "x"})
        ],
        site_url=SITE,
        today=TODAY,
    )

    assert [(p.line, p.code) for p in result.problems] == [
        (3, "role_unknown"),
        (4, "unit_not_administered"),
    ]
    assert not User.objects.filter(username="ok").exists()


# Jobs ---------------------------------------------------------------------------


def upload(data, name="accounts.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_a_job_stores_the_file_and_queues_the_import_after_commit(
    hanoi_admin, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    from accounts import tasks

    monkeypatch.setattr(tasks.run_user_import, "delay", lambda *a: queued.append(a))
    data = csv_bytes([ENGLISH_HEADER, account_row("an")])

    with django_capture_on_commit_callbacks(execute=True):
        job = user_import_job_create(
            acting_user=hanoi_admin,
            uploaded_file=upload(data, "Danh sách.csv"),
            site_url=SITE,
        )
        assert queued == []

    assert queued == [(job.pk,)]
    job.refresh_from_db()
    assert job.status == UserImportStatus.PENDING
    assert job.original_name == "Danh sách.csv"
    assert job.file.name.endswith(".csv")
    with job.file.open("rb") as stored:
        assert stored.read() == data


def test_only_administrators_may_create_jobs():
    reporter = make_user(role=Role.REPORTER, unit=unit("00004"), is_staff=True)

    with pytest.raises(PermissionDenied):
        user_import_job_create(
            acting_user=reporter, uploaded_file=upload(b"x"), site_url=SITE
        )


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "a.csv", "file_empty"),
        (b"%PDF-1.4", "a.pdf", "file_type_unsupported"),
        (b"x" * (5 * 1024 * 1024 + 1), "a.csv", "file_too_large"),
    ],
)
def test_unusable_uploads_are_refused_at_once(hanoi_admin, data, name, code):
    with pytest.raises(ValidationError) as error:
        user_import_job_create(
            acting_user=hanoi_admin, uploaded_file=upload(data, name), site_url=SITE
        )

    assert error.value.code == code
    assert not UserImportJob.objects.exists()


def make_job(acting_user, data, name="accounts.csv"):
    job = UserImportJob(original_name=name, created_by=acting_user, site_url=SITE)
    job.file.save(name, upload(data, name), save=False)
    job.save()
    return job


def test_running_a_job_creates_the_accounts_once(
    hanoi_admin, django_capture_on_commit_callbacks
):
    job = make_job(
        hanoi_admin,
        csv_bytes([ENGLISH_HEADER, account_row("an"), account_row("binh", "00008")]),
    )

    with django_capture_on_commit_callbacks(execute=True):
        user_import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == UserImportStatus.DONE
    assert (job.row_count, job.created_count, job.problems) == (2, 2, [])
    assert job.finished_at is not None
    assert len(mail.outbox) == 2

    # Running it again (a redelivered task) changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        again = user_import_job_run(job_id=job.pk)
    assert again.status == UserImportStatus.DONE
    assert len(mail.outbox) == 2
    assert User.objects.filter(username__in=["an", "binh"]).count() == 2


def test_a_failed_job_stores_every_problem(hanoi_admin):
    job = make_job(
        hanoi_admin,
        csv_bytes(
            [
                ENGLISH_HEADER,
                account_row("an"),
                account_row("an", role="sếp"),
                account_row("sai", "79"),
            ]
        ),
    )

    user_import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == UserImportStatus.FAILED
    assert (job.row_count, job.created_count) == (3, 0)
    assert [(p["line"], p["column"], p["code"]) for p in job.problems] == [
        (3, "username", "username_repeated"),
        (3, "role", "role_unknown"),
        (4, "unit_code", "unit_not_administered"),
    ]
    assert not User.objects.filter(username="an").exists()


def test_a_finished_job_is_not_run_again(hanoi_admin):
    job = make_job(hanoi_admin, csv_bytes([ENGLISH_HEADER, account_row("an")]))
    job.status = UserImportStatus.FAILED
    job.save()

    user_import_job_run(job_id=job.pk)

    assert not User.objects.filter(username="an").exists()


def test_a_job_whose_file_disappeared_fails_cleanly(hanoi_admin):
    job = make_job(hanoi_admin, csv_bytes([ENGLISH_HEADER, account_row("an")]))
    job.file.storage.delete(job.file.name)

    user_import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == UserImportStatus.FAILED
    assert [p["code"] for p in job.problems] == ["file_missing"]


def test_an_unexpected_error_marks_the_job_failed_and_is_raised(
    hanoi_admin, monkeypatch
):
    job = make_job(hanoi_admin, csv_bytes([ENGLISH_HEADER, account_row("an")]))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("accounts.services.parse_user_list", broken)

    with pytest.raises(RuntimeError):
        user_import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == UserImportStatus.FAILED
    assert [p["code"] for p in job.problems] == ["internal_error"]
