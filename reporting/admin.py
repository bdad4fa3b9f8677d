"""Administration of reporting obligations; reports themselves are read-only here."""

from django import forms as django_forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from forms.definition.periods import PeriodError, parse_period
from forms.models import FormVersion, VersionStatus
from reporting.models import Assignment, LockException, Receipt, Revision, Submission
from reporting.services import ReportError, assignment_create


class AssignmentForm(django_forms.ModelForm):
    kinds = django_forms.MultipleChoiceField(
        label=_("unit kinds"),
        choices=[
            ("area", _("Administrative area")),
            ("agency", _("Agency or organisation")),
        ],
        required=False,
        widget=django_forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Assignment
        fields = [
            "form_version",
            "root",
            "levels",
            "kinds",
            "units",
            "first_period",
            "last_period",
            "periods_ahead",
            "grace_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_version"].queryset = FormVersion.objects.filter(
            status=VersionStatus.PUBLISHED
        ).select_related("template")

    def _clean_period(self, name):
        value = self.cleaned_data.get(name, "")
        if not value:
            return value
        try:
            return parse_period(value).id
        except PeriodError:
            raise django_forms.ValidationError(
                _(
                    "%(value)s is not a period id such as 2026M11, 2026Q3, 2026S1, 2026N9, 2026 or 2026-2027."
                ),
                params={"value": value},
                code="period",
            ) from None

    def clean_first_period(self):
        return self._clean_period("first_period")

    def clean_last_period(self):
        return self._clean_period("last_period")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = (
        "form_version",
        "root",
        "first_period",
        "last_period",
        "periods_ahead",
        "grace_days",
    )
    list_select_related = ("form_version__template", "root")
    raw_id_fields = ("root", "units")
    filter_horizontal = ("levels",)
    search_fields = ("template__code", "root__name", "root__code")

    def has_change_permission(self, request, obj=None):
        # An obligation is created, never edited: a change would rewrite history of
        # what was expected. Create a new one with a later first period instead.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            created = assignment_create(
                acting_user=request.user,
                form_version=data["form_version"],
                root=data["root"],
                levels=data["levels"],
                kinds=data["kinds"],
                units=data["units"],
                first_period=data["first_period"],
                last_period=data["last_period"],
                periods_ahead=data["periods_ahead"],
                grace_days=data["grace_days"],
            )
        except ReportError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # assignment_create already stored the levels and named units.
        return None


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = (
        "template",
        "org_unit",
        "period",
        "status",
        "revision_count",
        "submitted_at",
        "submitted_late",
    )
    list_filter = ("status", "submitted_late", "template")
    list_select_related = ("template", "org_unit")
    search_fields = ("org_unit__code", "org_unit__name", "template__code", "period")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("submission", "number", "source", "created_by", "created_at")
    list_select_related = ("submission__template", "submission__org_unit", "created_by")
    search_fields = ("submission__org_unit__code", "submission__template__code")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "submission", "submitted_by", "issued_at", "emailed_at")
    list_select_related = (
        "submission__template",
        "submission__org_unit",
        "submitted_by",
    )
    search_fields = ("number", "digest")


@admin.register(LockException)
class LockExceptionAdmin(ReadOnlyAdmin):
    list_display = (
        "template",
        "org_unit",
        "period",
        "until",
        "granted_by",
        "granted_at",
    )
    list_select_related = ("template", "org_unit", "granted_by")
