"""Admin for people: users with the roles they hold on units, and the bulk creation of
accounts from a CSV or Excel list. Every write goes through accounts.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts import user_list
from accounts.models import UserImportJob
from accounts.roles import PERMISSION_ROLES, Role
from accounts.selectors import can_import_users, user_import_jobs_visible_to
from accounts.services import user_create, user_import_job_create
from accounts.user_list_messages import (
    column_label,
    problem_message,
    sample_csv,
)
from core.audit import audit_context
from orgunits.models import OrgUnitUserObjectPermission

User = get_user_model()


class UnitRoleInline(admin.TabularInline):
    """The roles a user holds on units; granted and withdrawn through services only."""

    model = OrgUnitUserObjectPermission
    fk_name = "user"
    fields = ("content_object", "role")
    readonly_fields = ("content_object", "role")
    extra = 0
    can_delete = False
    verbose_name = _("role on a unit")
    verbose_name_plural = _("roles on units")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("content_object", "permission")
            .order_by("content_object__path")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("role"))
    def role(self, grant):
        role = PERMISSION_ROLES.get(grant.permission.codename)
        return Role(role).label if role else grant.permission.name


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "last_login",
    )

    def get_inlines(self, request, obj):
        return [UnitRoleInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # Accounts carry history; they are deactivated, never deleted.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            with audit_context(acting_user=request.user, action="user_admin_change"):
                super().save_model(request, obj, form, change)
            return
        created = user_create(
            acting_user=request.user,
            username=obj.username,
            password=(
                form.cleaned_data.get("password1")
                if form.cleaned_data.get("set_usable_password", True)
                else None
            ),
            email=obj.email,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved row.
        obj.pk = created.pk
        obj.password = created.password
        obj._state.adding = False
        obj._state.db = created._state.db


class UserListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("List of accounts"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


@admin.register(UserImportJob)
class UserImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "status",
        "row_count",
        "created_count",
        "problem_count",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    list_select_related = ("created_by",)
    search_fields = ("original_name", "created_by__username")
    fields = (
        "original_name",
        "status",
        "created_by",
        "created_at",
        "finished_at",
        "row_count",
        "created_count",
        "problem_count",
    )
    readonly_fields = fields
    change_form_template = "admin/accounts/userimportjob/change_form.html"
    change_list_template = "admin/accounts/userimportjob/change_list.html"
    upload_template = "admin/accounts/userimportjob/upload.html"

    @admin.display(description=_("problems"))
    def problem_count(self, job):
        return len(job.problems)

    def get_queryset(self, request):
        return user_import_jobs_visible_to(request.user)

    def has_module_permission(self, request):
        return can_import_users(request.user)

    def has_view_permission(self, request, obj=None):
        if not can_import_users(request.user):
            return False
        return (
            obj is None
            or request.user.is_superuser
            or obj.created_by_id == request.user.pk
        )

    def has_add_permission(self, request):
        return can_import_users(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="{}_{}_upload".format(*info),
            ),
            path(
                "template.csv",
                self.admin_site.admin_view(self.template_view),
                name="{}_{}_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:accounts_userimportjob_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra_context = {**(extra_context or {})}
        if job is not None:
            extra_context["job"] = job
            extra_context["problems"] = [
                {
                    "line": problem.get("line"),
                    "column": column_label(problem.get("column")),
                    "message": problem_message(problem),
                }
                for problem in job.problems
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UserListUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = user_import_job_create(
                    acting_user=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    site_url=request.build_absolute_uri("/"),
                )
            except ValidationError as error:
                form.add_error(None if hasattr(error, "error_dict") else "file", error)
            else:
                self.message_user(
                    request,
                    _(
                        "The list was received. The accounts are created in the "
                        "background; this page shows the result."
                    ),
                    messages.SUCCESS,
                )
                return redirect("admin:accounts_userimportjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Create accounts from a list"),
            "form": form,
            "columns": [
                {
                    "label": column_label(column),
                    "required": column in user_list.REQUIRED_COLUMNS,
                    "headers": user_list.COLUMN_ALIASES[column],
                }
                for column in user_list.COLUMNS
            ],
            "roles": [
                (role, Role(role).label, user_list.ROLE_ALIASES[role])
                for role in user_list.ROLES
            ],
            "max_rows": user_list.MAX_ROWS,
            "max_mb": user_list.MAX_FILE_BYTES // 2**20,
            "template_url": reverse("admin:accounts_userimportjob_template"),
        }
        return TemplateResponse(request, self.upload_template, context)

    def template_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        response = HttpResponse(sample_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            'attachment; filename="mau-danh-sach-tai-khoan.csv"'
        )
        return response
