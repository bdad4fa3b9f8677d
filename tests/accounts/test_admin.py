"""The admin: users with their roles, bulk account uploads, and the unit tree."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import UserImportJob, UserImportStatus
from accounts.roles import Role
from accounts.services import user_import_job_run
from accounts.user_list import parse_user_list
from orgunits.models import OrgLevel, OrgUnit, OrgUnitSuccessor
from tests.accounts.factories import ENGLISH_HEADER, account_row, csv_bytes
from tests.factories import make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
UPLOAD = "admin:accounts_userimportjob_upload"
TEMPLATE = "admin:accounts_userimportjob_template"


def current(code):
    return OrgUnit.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def root(client):
    user = make_user(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def hanoi_admin(client):
    user = make_user(role=Role.ADMINISTRATOR, unit=current("01"), is_staff=True)
    client.force_login(user)
    return user


def upload_file(data, name="accounts.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


# Bulk account uploads -----------------------------------------------------------


def test_the_upload_page_explains_the_columns_and_links_the_sample(client, root):
    response = client.get(reverse(UPLOAD))

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse(TEMPLATE) in content
    assert 'enctype="multipart/form-data"' in content
    assert "ma don vi" in content


def test_the_sample_file_downloads_and_parses(client, root):
    response = client.get(reverse(TEMPLATE))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    parsed = parse_user_list(response.content, "sample.csv")
    assert parsed.ok
    assert [row.role for row in parsed.rows] == ["reporter", "reviewer"]


def test_uploading_creates_a_job_and_shows_its_page(
    client, hanoi_admin, django_capture_on_commit_callbacks
):
    data = csv_bytes([ENGLISH_HEADER, account_row("an")])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse(UPLOAD), {"file": upload_file(data)})

    job = UserImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:accounts_userimportjob_change", args=[job.pk]
    )
    assert job.created_by == hanoi_admin
    assert job.site_url == "http://testserver/"
    assert len(callbacks) == 1  # the import is queued once the request commits

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="5">' in page.content.decode()


def test_a_refused_upload_stays_on_the_form_with_the_reason(client, hanoi_admin):
    response = client.post(
        reverse(UPLOAD), {"file": upload_file(b"%PDF-1.4", "bao-cao.pdf")}
    )

    assert response.status_code == 200
    assert "bao-cao.pdf" in response.content.decode()
    assert not UserImportJob.objects.exists()


def test_the_job_page_lists_every_problem_with_its_line(client, hanoi_admin):
    job = UserImportJob(original_name="ds.csv", created_by=hanoi_admin, site_url="/")
    data = csv_bytes(
        [ENGLISH_HEADER, account_row("an", role="sếp"), account_row("binh", "79")]
    )
    job.file.save("ds.csv", upload_file(data), save=False)
    job.save()
    user_import_job_run(job_id=job.pk)

    response = client.get(reverse("admin:accounts_userimportjob_change", args=[job.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="user-import-problems"' in content
    assert "<td>2</td>" in content
    assert "<td>3</td>" in content
    assert "sếp" in content
    assert "Thành phố Hồ Chí Minh" in content
    assert 'http-equiv="refresh"' not in content


def test_the_finished_job_page_counts_the_accounts(client, root):
    job = UserImportJob.objects.create(
        original_name="ds.csv",
        created_by=root,
        status=UserImportStatus.DONE,
        row_count=3,
        created_count=3,
    )

    response = client.get(reverse("admin:accounts_userimportjob_change", args=[job.pk]))

    assert response.status_code == 200
    assert 'class="user-import-problems"' not in response.content.decode()


def test_administrators_see_only_their_own_jobs(client, hanoi_admin):
    other = make_user(is_superuser=True, is_staff=True)
    mine = UserImportJob.objects.create(
        original_name="cua-toi.csv", created_by=hanoi_admin
    )
    theirs = UserImportJob.objects.create(
        original_name="cua-nguoi-khac.csv", created_by=other
    )

    listing = client.get(reverse("admin:accounts_userimportjob_changelist"))
    foreign = client.get(
        reverse("admin:accounts_userimportjob_change", args=[theirs.pk])
    )

    assert listing.status_code == 200
    assert mine.original_name in listing.content.decode()
    assert theirs.original_name not in listing.content.decode()
    assert foreign.status_code in (302, 403, 404)


def test_staff_without_an_administrator_role_cannot_upload(client):
    reporter = make_user(role=Role.REPORTER, unit=current("00004"), is_staff=True)
    client.force_login(reporter)

    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.get(reverse(TEMPLATE)).status_code == 403
    index = client.get(reverse("admin:index"))
    assert "userimportjob" not in index.content.decode()


def test_non_staff_are_sent_to_the_admin_login(client):
    client.force_login(make_user(role=Role.ADMINISTRATOR, unit=current("01")))

    response = client.get(reverse(UPLOAD))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_jobs_cannot_be_edited_or_deleted(client, root):
    job = UserImportJob.objects.create(original_name="ds.csv", created_by=root)

    delete = client.post(
        reverse("admin:accounts_userimportjob_delete", args=[job.pk]), {"post": "yes"}
    )

    assert delete.status_code == 403
    assert UserImportJob.objects.filter(pk=job.pk).exists()
    assert client.get(reverse("admin:accounts_userimportjob_add")).status_code == 302


# Users ----------------------------------------------------------------------------


def test_the_user_page_shows_the_roles_on_units(client, root):
    user = make_user(role=Role.REVIEWER, unit=current("01"))

    response = client.get(reverse("admin:auth_user_change", args=[user.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Thành phố Hà Nội" in content
    assert str(Role.REVIEWER.label) in content


def test_adding_a_user_goes_through_the_service(client, root):
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "moi_qua_admin",
            "usable_password": "true",
            "password1": "mot-mat-khau-dai-2026",
            "password2": "mot-mat-khau-dai-2026",
        },
    )

    user = User.objects.get(username="moi_qua_admin")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:auth_user_change", args=[user.pk])
    assert user.check_password("mot-mat-khau-dai-2026")
    event = user.events.get(pgh_label="insert")
    assert event.pgh_context.metadata["action"] == "user_create"
    assert event.pgh_context.metadata["username"] == root.username


def test_adding_a_user_without_a_password(client, root):
    client.post(
        reverse("admin:auth_user_add"),
        {"username": "khong_mat_khau", "usable_password": "false"},
    )

    assert not User.objects.get(username="khong_mat_khau").has_usable_password()


def test_users_cannot_be_deleted_from_the_admin(client, root):
    user = make_user()

    response = client.post(
        reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


# Units ----------------------------------------------------------------------------


def test_units_are_searched_by_code_and_name_and_filtered_by_validity(client, root):
    changelist = reverse("admin:orgunits_orgunit_changelist")

    by_code = client.get(changelist, {"q": "00004"})
    by_name = client.get(changelist, {"q": "Trúc Bạch", "validity": "ended"})
    in_force = client.get(changelist, {"q": "00004", "validity": "current"})

    assert "Phường Ba Đình" in by_code.content.decode()
    assert "Phường Trúc Bạch" in by_code.content.decode()
    assert "Phường Trúc Bạch" in by_name.content.decode()
    assert "Phường Trúc Bạch" not in in_force.content.decode()
    assert "Phường Ba Đình" in in_force.content.decode()


def test_the_unit_list_filters_by_level_and_kind(client, root):
    province = OrgLevel.objects.get(code="province")

    response = client.get(
        reverse("admin:orgunits_orgunit_changelist"),
        {"level__id__exact": province.pk, "kind__exact": "area", "validity": "current"},
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == 34


def test_adding_a_unit_goes_through_the_service(client, root):
    hanoi = current("01")
    agency = OrgLevel.objects.get(code="province")

    response = client.post(
        reverse("admin:orgunits_orgunit_add"),
        {
            "code": "01-CTK",
            "name": "Thống kê Thành phố Hà Nội",
            "type_name": "Cơ quan",
            "level": agency.pk,
            "kind": "agency",
            "parent": hanoi.pk,
            "valid_from": "",
            "valid_to": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = OrgUnit.objects.get(code="01-CTK")
    assert unit.parent == hanoi
    assert unit.depth == hanoi.depth + 1
    assert unit.path.startswith(hanoi.path)
    event = unit.events.get(pgh_label="insert")
    assert event.pgh_context.metadata["action"] == "org_unit_create"


def test_a_duplicate_unit_is_refused_by_the_form(client, root):
    ba_dinh = current("00004")

    response = client.post(
        reverse("admin:orgunits_orgunit_add"),
        {
            "code": "00004",
            "name": "Trùng",
            "level": ba_dinh.level_id,
            "kind": "area",
            "parent": ba_dinh.parent_id,
            "valid_from": "01/07/2025",
            "valid_to": "",
        },
    )

    assert response.status_code == 200
    assert OrgUnit.objects.filter(code="00004").count() == 2


def test_editing_a_unit_changes_only_its_names(client, root):
    ba_dinh = current("00004")
    path, parent = ba_dinh.path, ba_dinh.parent_id

    response = client.post(
        reverse("admin:orgunits_orgunit_change", args=[ba_dinh.pk]),
        {
            "name": "Phường Ba Đình (mới)",
            "short_name": "Ba Đình",
            "type_name": "Phường",
            "code": "HACK",
            "parent": "",
            "path": "",
        },
    )

    assert response.status_code == 302
    ba_dinh.refresh_from_db()
    assert ba_dinh.name == "Phường Ba Đình (mới)"
    assert (ba_dinh.code, ba_dinh.path, ba_dinh.parent_id) == ("00004", path, parent)
    event = ba_dinh.events.latest("pgh_id")
    assert event.pgh_context.metadata["action"] == "org_unit_rename"


def test_units_cannot_be_deleted(client, root):
    ba_dinh = current("00004")

    response = client.post(
        reverse("admin:orgunits_orgunit_delete", args=[ba_dinh.pk]), {"post": "yes"}
    )

    assert response.status_code == 403


def test_the_successor_map_is_read_only_and_searchable(client, root):
    link = OrgUnitSuccessor.objects.filter(successor=current("00004")).first()
    kind = link.kind

    listing = client.get(
        reverse("admin:orgunits_orgunitsuccessor_changelist"), {"q": "00004"}
    )
    add = client.get(reverse("admin:orgunits_orgunitsuccessor_add"))
    change = client.post(
        reverse("admin:orgunits_orgunitsuccessor_change", args=[link.pk]),
        {"kind": "abolished"},
    )

    assert listing.status_code == 200
    assert link.predecessor.name in listing.content.decode()
    assert add.status_code == 403
    assert change.status_code == 403
    link.refresh_from_db()
    assert link.kind == kind


def test_levels_list(client, root):
    response = client.get(reverse("admin:orgunits_orglevel_changelist"))

    assert response.status_code == 200
    assert "commune" in response.content.decode()
