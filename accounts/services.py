"""Writes about people: accounts and the roles they hold on org units. Audited."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import UserImportJob, UserImportStatus
from accounts.roles import Role, permission_for
from accounts.selectors import can_import_users, org_units_by_code
from accounts.user_list import (
    COLUMNS,
    EMAIL,
    FULL_NAME,
    FULL_NAME_MAX_LENGTH,
    LEVEL,
    MAX_FILE_BYTES,
    ROLE,
    UNIT_CODE,
    USERNAME,
    VALID_ON,
    Problem,
    UserRow,
    file_format_of,
    parse_user_list,
)
from accounts.user_list_messages import problem_message
from core.audit import audit_context
from core.text import nfc
from orgunits.models import OrgUnit
from orgunits.selectors import user_has_role

User = get_user_model()
logger = logging.getLogger(__name__)


def role_grant(*, acting_user, user, unit: OrgUnit, role: str) -> None:
    """Grant ``role`` to ``user`` on ``unit`` (idempotent)."""
    perm = permission_for(role)
    with (
        transaction.atomic(),
        audit_context(
            acting_user=acting_user, action="role_grant", role=role, unit=unit.pk
        ),
    ):
        assign_perm(f"orgunits.{perm}", user, unit)
    user.__dict__.pop("_orgunit_grants", None)


def role_revoke(*, acting_user, user, unit: OrgUnit, role: str) -> None:
    """Withdraw ``role`` from ``user`` on ``unit`` (idempotent)."""
    perm = permission_for(role)
    with (
        transaction.atomic(),
        audit_context(
            acting_user=acting_user, action="role_revoke", role=role, unit=unit.pk
        ),
    ):
        remove_perm(f"orgunits.{perm}", user, unit)
    user.__dict__.pop("_orgunit_grants", None)


def user_create(
    *,
    acting_user,
    username: str,
    password: str | None,
    email: str = "",
    full_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
):
    """Create an account; without a password the user sets one by e-mail reset."""
    full_name = nfc(full_name).strip()
    first, _, last = full_name.rpartition(" ")
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="user_create"),
    ):
        user = User(
            username=nfc(username).strip(),
            email=email.strip().lower(),
            # Vietnamese names read family name first: "Nguyễn Văn An" -> last "An".
            first_name=first if first else full_name,
            last_name=last if first else "",
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        return user


# Bulk creation from a list of accounts ------------------------------------------

# Official unit codes are zero-padded: province 2 digits, district 3, commune 5. Excel
# drops the zeros of a code typed as a number, so "4" may mean "04" or "00004".
UNIT_CODE_WIDTHS = (2, 3, 5)


@dataclass
class UsersImportResult:
    """The accounts created, or the problems that prevented creating any."""

    users: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _ImportRolledBack(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("rolled back")
        self.problems = problems


def users_bulk_import(
    *,
    acting_user,
    rows: Sequence[UserRow],
    site_url: str,
    problems: Sequence[Problem] = (),
    today: datetime.date | None = None,
) -> UsersImportResult:
    """Create every account listed in ``rows``, or none of them.

    Every row is checked first (unit codes in force on the row's date, the level,
    the acting user's right to administer the unit, usernames new and not repeated,
    e-mail addresses); ``problems`` already found in the file count as well, so the
    result lists everything to fix at once. New accounts have no usable password:
    after the commit each one receives an e-mail with a link to choose it.
    """
    today = today or timezone.localdate()
    found = list(problems)
    units = _user_rows_check(acting_user, rows, today, found)
    if found:
        return UsersImportResult(problems=_sorted_problems(found))
    try:
        with (
            transaction.atomic(),
            audit_context(
                acting_user=acting_user, action="users_bulk_import", rows=len(rows)
            ),
        ):
            users = _users_create(acting_user, rows, units)
            user_ids = [user.pk for user in users]
            transaction.on_commit(
                partial(account_emails_send, user_ids=user_ids, site_url=site_url),
                robust=True,
            )
    except _ImportRolledBack as rollback:
        return UsersImportResult(problems=_sorted_problems(rollback.problems))
    return UsersImportResult(users=users)


def _users_create(acting_user, rows, units) -> list:
    users, problems = [], []
    for row in rows:
        try:
            user = user_create(
                acting_user=acting_user,
                username=row.username,
                password=None,
                email=row.email,
                full_name=row.full_name,
            )
        except ValidationError as error:
            problems.extend(_validation_problems(row, error))
            continue
        except IntegrityError:
            # Another session created the same username after the check.
            problems.append(Problem("import_conflict", line=row.line))
            continue
        role_grant(
            acting_user=acting_user, user=user, unit=units[row.line], role=row.role
        )
        users.append(user)
    if problems:
        raise _ImportRolledBack(problems)
    return users


def _validation_problems(row: UserRow, error: ValidationError) -> list[Problem]:
    problems = []
    for field_name, errors in error.error_dict.items():
        codes = {item.code for item in errors}
        if field_name == "username":
            code = "username_taken" if "unique" in codes else "username_invalid"
            params = {"value": row.username}
            column = USERNAME
        elif field_name == "email":
            code, column, params = "email_invalid", EMAIL, {"value": row.email}
        else:
            code, column = "value_too_long", FULL_NAME
            params = {
                "length": len(row.full_name),
                "max_length": FULL_NAME_MAX_LENGTH,
            }
        problems.append(Problem(code, line=row.line, column=column, params=params))
    return problems


def _user_rows_check(acting_user, rows, today, problems) -> dict[int, OrgUnit]:
    """Append to ``problems`` what stops ``rows`` from being created; return the unit
    of each line. A cell that already has a problem is not checked again."""
    flagged = {(problem.line, problem.column) for problem in problems}

    def unchecked(row: UserRow, column: str) -> bool:
        return bool(getattr(row, column)) and (row.line, column) not in flagged

    named = [row for row in rows if unchecked(row, USERNAME)]
    for row in named:
        try:
            User.username_validator(row.username)
        except ValidationError:
            problems.append(
                Problem(
                    "username_invalid",
                    line=row.line,
                    column=USERNAME,
                    params={"value": row.username},
                )
            )
    _usernames_check(named, problems)
    for row in rows:
        if unchecked(row, EMAIL):
            try:
                validate_email(row.email)
            except ValidationError:
                problems.append(
                    Problem(
                        "email_invalid",
                        line=row.line,
                        column=EMAIL,
                        params={"value": row.email},
                    )
                )
        if unchecked(row, ROLE) and row.role not in Role.values:
            problems.append(
                Problem(
                    "role_unknown",
                    line=row.line,
                    column=ROLE,
                    params={"value": row.role, "choices": ", ".join(Role.values)},
                )
            )
    # A unit is looked up only on a date and at a level that could be read.
    locatable = [
        row
        for row in rows
        if unchecked(row, UNIT_CODE)
        and (row.line, LEVEL) not in flagged
        and (row.line, VALID_ON) not in flagged
    ]
    return _units_resolve(acting_user, locatable, today, problems)


def _usernames_check(rows, problems) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        key = row.username.lower()
        if key in first_line:
            problems.append(
                Problem(
                    "username_repeated",
                    line=row.line,
                    column=USERNAME,
                    params={"value": row.username, "first_line": first_line[key]},
                )
            )
        else:
            first_line[key] = row.line
    taken = set(
        User.objects.annotate(folded=Lower("username"))
        .filter(folded__in=list(first_line))
        .values_list("folded", flat=True)
    )
    for row in rows:
        if row.username.lower() in taken:
            problems.append(
                Problem(
                    "username_taken",
                    line=row.line,
                    column=USERNAME,
                    params={"value": row.username},
                )
            )


def _code_variants(code: str) -> list[str]:
    if not code.isdigit():
        return []
    return [code.zfill(width) for width in UNIT_CODE_WIDTHS if len(code) < width]


def _units_resolve(acting_user, rows, today, problems) -> dict[int, OrgUnit]:
    codes = {row.unit_code for row in rows}
    by_code = org_units_by_code(
        codes | {variant for code in codes for variant in _code_variants(code)}
    )
    units: dict[int, OrgUnit] = {}
    for row in rows:
        unit, problem = _unit_of_row(row, by_code, row.valid_on or today)
        if unit is not None and not user_has_role(
            acting_user, Role.ADMINISTRATOR, unit
        ):
            problem = Problem(
                "unit_not_administered", params={"code": unit.code, "name": unit.name}
            )
        if problem is None:
            units[row.line] = unit
        else:
            problems.append(
                Problem(
                    problem.code, line=row.line, column=UNIT_CODE, params=problem.params
                )
            )
    return units


def _units_in_force(by_code, codes, day, level) -> list[OrgUnit]:
    return [
        unit
        for code in codes
        for unit in by_code.get(code, [])
        if unit.is_valid_on(day) and (level is None or unit.level.code == level)
    ]


def _unit_of_row(row: UserRow, by_code, day) -> tuple[OrgUnit | None, Problem | None]:
    """Return the unit a row names on ``day``, or why there is none."""
    variants = _code_variants(row.unit_code)
    matches = _units_in_force(by_code, [row.unit_code], day, row.level)
    if not matches:
        matches = _units_in_force(by_code, variants, day, row.level)
    params = {"code": row.unit_code, "date": day.strftime("%d/%m/%Y")}
    if len(matches) == 1:
        return matches[0], None
    if matches:
        return None, Problem("unit_ambiguous", params=params)
    known = [row.unit_code, *variants]
    if row.level and _units_in_force(by_code, known, day, None):
        return None, Problem(
            "unit_level_mismatch", params={**params, "level": row.level}
        )
    if any(code in by_code for code in known):
        return None, Problem("unit_not_in_force", params=params)
    return None, Problem("unit_unknown", params={"code": row.unit_code})


def _sorted_problems(problems: list[Problem]) -> list[Problem]:
    order = {column: index for index, column in enumerate(COLUMNS)}
    return sorted(
        problems,
        key=lambda p: (p.line or 0, order.get(p.column, -1)),
    )


def account_emails_send(*, user_ids: Sequence[int], site_url: str) -> int:
    """E-mail each new account a link to choose a password; return how many were
    sent. A failed delivery is logged and does not stop the others."""
    sent = 0
    users = User.objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    with (
        translation.override(settings.LANGUAGE_CODE),
        mail.get_connection() as connection,
    ):
        for user in users:
            try:
                _account_email(user, site_url, connection).send()
            except Exception:
                logger.exception("Could not e-mail new account %s", user.pk)
            else:
                sent += 1
    return sent


def _account_email(user, site_url: str, connection) -> mail.EmailMessage:
    link = site_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "full_name": user.get_full_name() or user.get_username(),
        "username": user.get_username(),
        "link": link,
        "site_url": site_url,
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("accounts/email/account_created_subject.txt", context)
    body = render_to_string("accounts/email/account_created.txt", context)
    return mail.EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        to=[user.email],
        connection=connection,
    )


# Bulk creation in the background -------------------------------------------------


def user_import_job_create(
    *, acting_user, uploaded_file, site_url: str = ""
) -> UserImportJob:
    """Store an uploaded list of accounts and queue its import after the commit.

    Raise PermissionDenied unless ``acting_user`` may import accounts, and
    ValidationError for a file that is empty, too large or not CSV/XLSX.
    """
    if not can_import_users(acting_user):
        raise PermissionDenied
    name = nfc(uploaded_file.name or "")
    file_format = file_format_of(name)
    problem = None
    if not uploaded_file.size:
        problem = Problem("file_empty")
    elif uploaded_file.size > MAX_FILE_BYTES:
        problem = Problem("file_too_large", params={"max_mb": MAX_FILE_BYTES // 2**20})
    elif file_format is None:
        problem = Problem("file_type_unsupported", params={"name": name})
    if problem is not None:
        raise ValidationError(
            problem_message(problem), code=problem.code, params=problem.params
        )
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="user_import_job_create"),
    ):
        job = UserImportJob(
            original_name=name[:255],
            created_by=acting_user,
            site_url=site_url,
        )
        # The stored name is random: the original one stays in original_name.
        job.file.save(f"{uuid.uuid4().hex}.{file_format}", uploaded_file, save=False)
        job.full_clean()
        job.save()
        # Imported here: the task module imports this one.
        from accounts.tasks import run_user_import

        run_user_import.delay_on_commit(job.pk)
    return job


def user_import_job_run(*, job_id: int) -> UserImportJob:
    """Run a queued import: read the stored file and create its accounts or report
    its problems. A finished job is left as it is, so running twice is harmless."""
    with transaction.atomic():
        job = UserImportJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job
        if job.status != UserImportStatus.RUNNING:
            job.status = UserImportStatus.RUNNING
            job.save(update_fields=["status"])
    try:
        return _user_import_job_process(job_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Account import %s failed", job_id)
        _user_import_job_fail(job_id, Problem("internal_error"))
        raise


def _user_import_job_process(job_id: int) -> UserImportJob:
    with transaction.atomic():
        # The lock makes a second worker given the same job wait, then find it done.
        job = (
            UserImportJob.objects.select_for_update()
            .select_related("created_by")
            .get(pk=job_id)
        )
        if job.is_finished:
            return job
        with audit_context(
            acting_user=job.created_by, action="user_import_job_run", job=job.pk
        ):
            try:
                with job.file.open("rb") as stored:
                    data = stored.read(MAX_FILE_BYTES + 1)
            except OSError:
                return _user_import_job_save(job, [Problem("file_missing")], [], 0)
            parsed = parse_user_list(data, job.original_name)
            result = users_bulk_import(
                acting_user=job.created_by,
                rows=parsed.rows,
                site_url=job.site_url,
                problems=parsed.problems,
            )
            return _user_import_job_save(
                job, result.problems, result.users, parsed.row_count
            )


def _user_import_job_save(job, problems, users, row_count) -> UserImportJob:
    job.status = UserImportStatus.FAILED if problems else UserImportStatus.DONE
    job.problems = [problem.as_dict() for problem in problems]
    job.created_count = len(users)
    job.row_count = row_count
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "problems",
            "created_count",
            "row_count",
            "finished_at",
        ]
    )
    return job


def _user_import_job_fail(job_id: int, problem: Problem) -> None:
    with transaction.atomic():
        job = UserImportJob.objects.select_for_update().get(pk=job_id)
        if not job.is_finished:
            _user_import_job_save(job, [problem], [], job.row_count)
