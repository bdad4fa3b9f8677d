"""Forms of the upload pages."""

from django import forms as django_forms
from django.utils.translation import gettext_lazy as _

from imports.models import ImportJob, ImportJobStatus
from imports.selectors import forms_for_upload
from imports.services import MAX_FILE_BYTES


class UploadForm(django_forms.Form):
    file = django_forms.FileField(
        label=_("Workbook (.xlsx)"),
        help_text=_(
            "The Excel template of a report filled in, a workbook of several template sheets, or a long table (unit code, period, row code, column, value). At most 20 MB."
        ),
    )
    form = django_forms.ModelChoiceField(
        queryset=forms_for_upload(),
        required=False,
        label=_("Form of a long table"),
        help_text=_(
            "Only for a long table without a “form code” column; templates name their form themselves."
        ),
    )

    def __init__(self, *args, stored: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Once stored, the wizard checks this step again without the file.
        self.fields["file"].required = not stored
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded is None:
            return uploaded
        if not uploaded.size:
            raise django_forms.ValidationError(
                _("The file is empty."), code="file_empty"
            )
        if uploaded.size > MAX_FILE_BYTES:
            raise django_forms.ValidationError(
                _("The file is %(size_mb)s MB; at most %(max_mb)s MB can be uploaded.")
                % {
                    "size_mb": f"{uploaded.size / 2**20:.1f}",
                    "max_mb": str(MAX_FILE_BYTES // 2**20),
                },
                code="file_too_large",
            )
        return uploaded


class PreviewForm(django_forms.Form):
    """Confirm the import once the dry run is shown."""

    def __init__(self, *args, job: ImportJob | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job

    def clean(self):
        job = self.job
        if job is None:
            raise django_forms.ValidationError(_("Upload the file again."))
        job.refresh_from_db(fields=["status"])
        if job.status in {ImportJobStatus.QUEUED, ImportJobStatus.PARSING}:
            raise django_forms.ValidationError(
                _("The file is still being read; wait until its summary appears.")
            )
        if job.status != ImportJobStatus.PREVIEW:
            raise django_forms.ValidationError(
                _("Nothing can be imported from this file. Fix it and upload it again.")
            )
        return super().clean()


class TemplateForm(django_forms.Form):
    """Which template to download: a form, one of the user's units, a period."""

    form = django_forms.ModelChoiceField(queryset=forms_for_upload(), label=_("Form"))
    unit = django_forms.ModelChoiceField(queryset=None, label=_("Unit"))
    period = django_forms.CharField(
        label=_("Period"),
        max_length=16,
        help_text=_("For example 2026, 2026Q3, 2026M11."),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
