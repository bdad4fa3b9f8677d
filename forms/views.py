"""Pages of the form builder: the list of forms, a version and its preview, the
comparison of two versions, the builder wizard, the start from an Excel layout, and
the downloads of a version (Excel template, PDF, JSON).

Designers reach the builder pages; any signed-in user downloads published versions.
"""

from __future__ import annotations

from functools import wraps

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from formtools.wizard.views import SessionWizardView

from forms import builder
from forms.definition.diff import diff_definitions
from forms.definition.model import DataType, PeriodType, ReporterSpec
from forms.definition.paste import Section
from forms.definition.table import form_table
from forms.rendering.excel import template_filename, template_xlsx
from forms.selectors import (
    access_form_template_by_id,
    access_form_version_by_id,
    form_templates_for_designer,
    regimes_for_designer,
    user_is_designer,
)
from forms.services import (
    FormDefinitionInvalid,
    PublishedVersionImmutable,
    form_template_create,
    form_version_export,
    form_version_publish,
    form_version_start_next,
    form_version_update_draft,
    regime_create,
)
from imports.parsers.form_layout import parse_form_layout
from reporting.selectors import version_usage

LAYOUT_PREFILL_KEY = "forms_builder_layout_prefill"
MAX_LAYOUT_BYTES = 5 * 1024 * 1024


def designer_required(view):
    """Let signed-in designers through; others get the friendly 403 page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_is_designer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# --- Lists, versions and their comparison ------------------------------------------


@designer_required
@require_GET
def form_list(request):
    return render(
        request,
        "forms/form_list.html",
        {"templates": form_templates_for_designer(request.user)},
    )


def _version_context(version) -> dict:
    definition = version.form_definition
    return {
        "version": version,
        "template": version.template,
        "definition": definition,
        "table": form_table(definition),
        "period_type_label": builder.PERIOD_TYPE_LABELS[definition.period_type],
        "versions": version.template.versions.all(),
        "usage": version_usage(version),
    }


@designer_required
@require_GET
def version_detail(request, version_id: int):
    version = access_form_version_by_id(request.user, version_id)
    return render(request, "forms/version_detail.html", _version_context(version))


@designer_required
@require_POST
def version_publish(request, version_id: int):
    version = access_form_version_by_id(request.user, version_id)
    try:
        form_version_publish(acting_user=request.user, version=version)
    except PublishedVersionImmutable as error:
        messages.info(request, str(error))
    except FormDefinitionInvalid as error:
        for message in error.messages():
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(number)d of %(code)s is published.")
            % {"number": version.number, "code": version.template.code},
        )
    return redirect("forms:version", version_id=version.pk)


@designer_required
@require_POST
def version_start_next(request, template_id: int):
    template = access_form_template_by_id(request.user, template_id)
    draft = form_version_start_next(acting_user=request.user, template=template)
    return redirect("forms:edit", version_id=draft.pk)


FIELD_LABELS = {
    "code": gettext_lazy("Form code"),
    "title": gettext_lazy("Title"),
    "period_type": gettext_lazy("Reporting period"),
    "unit_of_measure": gettext_lazy("Unit of measure"),
    "legal_basis": gettext_lazy("Legal basis"),
    "notes": gettext_lazy("Notes"),
    "has_unit_column": gettext_lazy("Unit column"),
    "deadlines": gettext_lazy("Deadlines"),
    "reporters": gettext_lazy("Who reports"),
    "label": gettext_lazy("Label"),
    "indent": gettext_lazy("Indent"),
    "unit": gettext_lazy("Unit"),
    "formula": gettext_lazy("Formula"),
    "of_which": gettext_lazy("Of which"),
    "bold": gettext_lazy("Bold"),
    "guidance": gettext_lazy("Guidance"),
    "data_type": gettext_lazy("Type"),
    "decimal_places": gettext_lazy("Decimal places"),
    "group": gettext_lazy("Group"),
    "state": gettext_lazy("State"),
}


@designer_required
@require_GET
def version_diff(request, template_id: int):
    template = access_form_template_by_id(request.user, template_id)
    versions = list(template.versions.order_by("number"))
    by_id = {str(version.pk): version for version in versions}
    new = by_id.get(request.GET.get("moi", ""), versions[-1])
    earlier = [version for version in versions if version.number < new.number]
    old = by_id.get(request.GET.get("cu", ""), earlier[-1] if earlier else versions[0])
    diff = diff_definitions(old.form_definition, new.form_definition)
    return render(
        request,
        "forms/version_diff.html",
        {
            "template": template,
            "versions": versions,
            "old": old,
            "new": new,
            "diff": diff,
            "metadata_changes": _shown_changes(diff.metadata),
            "rows_changed": _shown_items(diff.rows_changed),
            "columns_changed": _shown_items(diff.columns_changed),
            "cells_changed": _shown_items(diff.cells_changed),
        },
    )


def _shown_value(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, DataType):
        return str(builder.DATA_TYPE_LABELS[value])
    if isinstance(value, PeriodType):
        return str(builder.PERIOD_TYPE_LABELS[value])
    if isinstance(value, ReporterSpec):
        return ", ".join([*value.levels, *value.kinds, *value.unit_codes]) + (
            f" → {value.receiver}"
        )
    if isinstance(value, tuple):
        return "; ".join(getattr(item, "label", "") or str(item) for item in value)
    return "" if value is None else str(getattr(value, "value", value))


def _shown_changes(changes) -> list[dict]:
    return [
        {
            "field": FIELD_LABELS.get(change.field, change.field),
            "old": _shown_value(change.old),
            "new": _shown_value(change.new),
        }
        for change in changes
    ]


def _shown_items(items) -> list[dict]:
    return [
        {"key": item.key, "label": item.label, "changes": _shown_changes(item.changes)}
        for item in items
    ]


# --- Downloads -----------------------------------------------------------------------


def _attachment(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def version_template_xlsx(request, version_id: int):
    version = access_form_version_by_id(request.user, version_id)
    return _attachment(
        template_xlsx(version),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        template_filename(version),
    )


@login_required
@require_GET
def version_pdf(request, version_id: int):
    # WeasyPrint takes a while to import; only this page pays for it.
    from forms.rendering.pdf import form_pdf

    version = access_form_version_by_id(request.user, version_id)
    return _attachment(
        form_pdf(version),
        "application/pdf",
        template_filename(version).removesuffix(".xlsx") + ".pdf",
    )


@designer_required
@require_GET
def version_export_json(request, version_id: int):
    version = access_form_version_by_id(request.user, version_id)
    return _attachment(
        form_version_export(version).encode("utf-8"),
        "application/json; charset=utf-8",
        template_filename(version).removesuffix(".xlsx") + ".json",
    )


# --- Regimes and the start from an Excel layout ---------------------------------------


class RegimeForm(django_forms.Form):
    code = django_forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        help_text=gettext_lazy("A short code, e.g. TT02-2023-BNV."),
    )
    name = django_forms.CharField(label=gettext_lazy("Name"), max_length=500)
    legal_basis = django_forms.CharField(
        label=gettext_lazy("Legal basis"), max_length=500
    )
    issuing_agency = django_forms.CharField(
        label=gettext_lazy("Issuing agency"), max_length=255
    )


@designer_required
@require_http_methods(["GET", "POST"])
def regime_new(request):
    form = RegimeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            regime = regime_create(acting_user=request.user, **form.cleaned_data)
        except django_forms.ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request, _("Regime %(code)s was created.") % {"code": regime.code}
            )
            next_url = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                next_url,
                allowed_hosts={request.get_host()},
                require_https=request.is_secure(),
            ):
                next_url = reverse("forms:new")
            return redirect(next_url)
    return render(request, "forms/regime_form.html", {"form": form})


class LayoutUploadForm(django_forms.Form):
    file = django_forms.FileField(
        label=gettext_lazy("Excel file of the official layout (.xlsx)"),
        widget=django_forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LAYOUT_BYTES:
            raise django_forms.ValidationError(
                _("The file is larger than 5 MB; upload the sheet of the form alone.")
            )
        return upload


@designer_required
@require_http_methods(["GET", "POST"])
def form_from_layout(request):
    form = LayoutUploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        proposal = parse_form_layout(form.cleaned_data["file"].read())
        problems = [
            {"location": problem.location, "message": problem.render(_)}
            for problem in proposal.problems
        ]
        if proposal.is_usable:
            request.session[LAYOUT_PREFILL_KEY] = builder.initial_from_layout(proposal)
            for problem in problems:
                messages.warning(
                    request,
                    _("%(location)s: %(message)s") % problem,
                )
            messages.info(
                request,
                _(
                    "Read %(rows)d rows and %(columns)d columns from the sheet “%(sheet)s”. "
                    "Check each step and correct what the layout did not say."
                )
                % {
                    "rows": len(proposal.rows),
                    "columns": len(proposal.columns),
                    "sheet": proposal.sheet,
                },
            )
            return redirect(reverse("forms:new") + "?tu-excel=1")
    return render(
        request, "forms/layout_upload.html", {"form": form, "problems": problems}
    )


# --- The builder wizard ------------------------------------------------------------


@method_decorator(login_required, name="dispatch")
class FormBuilderWizard(SessionWizardView):
    """Create a form, or edit a draft version, step by step; save only at the end."""

    template_name = "forms/wizard.html"

    def dispatch(self, request, *args, **kwargs):
        if not user_is_designer(request.user):
            raise PermissionDenied
        self.version = None
        if "version_id" in kwargs:
            self.version = access_form_version_by_id(request.user, kwargs["version_id"])
            if self.version.is_published:
                return render(
                    request,
                    "forms/version_published.html",
                    {
                        "version": self.version,
                        "message": str(PublishedVersionImmutable(self.version)),
                    },
                    status=409,
                )
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs):
        prefix = super().get_prefix(request, *args, **kwargs)
        return f"{prefix}_{kwargs.get('version_id', 'new')}"

    def get(self, request, *args, **kwargs):
        self.storage.reset()
        self.storage.current_step = self.steps.first
        if self.version is None and request.GET.get("tu-excel"):
            prefill = request.session.pop(LAYOUT_PREFILL_KEY, None)
            if prefill:
                self.storage.extra_data = {"prefill": prefill}
        return self.render(self.get_form())

    def post(self, *args, **kwargs):
        # Going back keeps what was typed in this step, checked or not: the final
        # save checks every step again.
        goto = self.request.POST.get("wizard_goto_step")
        if goto in self.get_form_list() and self.steps.current != self.steps.last:
            form = self.get_form(data=self.request.POST, files=self.request.FILES)
            self.storage.set_step_data(self.steps.current, self.process_step(form))
        return super().post(*args, **kwargs)

    # Initial values and the assembly of all steps

    def _initial(self) -> dict[str, dict]:
        if not hasattr(self, "_initial_cache"):
            if self.version is not None:
                self._initial_cache = builder.initial_from_definition(
                    self.version.form_definition
                )
            else:
                prefill = self.storage.extra_data.get("prefill")
                self._initial_cache = prefill or builder.new_form_initial()
        return self._initial_cache

    def get_form_initial(self, step):
        return dict(self._initial().get(step, {}))

    def _values(self) -> builder.StepValues:
        return builder.StepValues(
            stored=self.storage.get_step_data,
            initial=self.get_form_initial,
            prefix=lambda step: self.get_form_prefix(step, None),
            fixed_code=self.version.template.code if self.version else None,
        )

    def get_form_kwargs(self, step=None):
        values = self._values()

        def assemble(cleaned: dict):
            return builder.assemble(values.all(**{step: cleaned}))

        kwargs = {"assemble": assemble}
        if step == "metadata":
            kwargs["editing"] = self.version is not None
            if self.version is None:
                kwargs["regimes"] = regimes_for_designer(self.request.user)
        return kwargs

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        context.update(
            version=self.version,
            step_titles=[
                (name, builder.STEP_TITLES[name]) for name in self.get_form_list()
            ],
            current_title=builder.STEP_TITLES[self.steps.current],
        )
        if self.steps.current == "preview":
            assembly = builder.assemble(self._values().all())
            context.update(
                definition=assembly.definition,
                table=form_table(assembly.definition),
                period_type_label=builder.PERIOD_TYPE_LABELS[
                    assembly.definition.period_type
                ],
                problems=[
                    {
                        "step": located.section.value,
                        "step_title": builder.STEP_TITLES[located.section.value],
                        "location": located.problem.location,
                        "message": builder.problem_message(located),
                    }
                    for located in assembly.problems
                ],
            )
        return context

    # Saving

    def render_done(self, form, **kwargs):
        try:
            return super().render_done(form, **kwargs)
        except _ReturnToStep as back:
            # Raised before formtools resets its storage: the designer's text stays.
            self.storage.current_step = back.step
            step_form = self.get_form(
                step=back.step, data=self.storage.get_step_data(back.step)
            )
            step_form.is_valid()
            for message in back.messages:
                step_form.add_error(None, message)
            return self.render(step_form)

    def done(self, form_list, form_dict=None, **kwargs):
        metadata = form_dict["metadata"].cleaned_data
        assembly = builder.assemble(self._values().all(metadata=metadata))
        if assembly.problems:
            first = assembly.problems[0]
            raise _ReturnToStep(first.section.value, [])
        try:
            if self.version is None:
                version = form_template_create(
                    acting_user=self.request.user,
                    regime=metadata["regime"],
                    definition=assembly.definition,
                )
            else:
                version = form_version_update_draft(
                    acting_user=self.request.user,
                    version=self.version,
                    definition=assembly.definition,
                )
        except FormDefinitionInvalid as error:
            raise _ReturnToStep(Section.METADATA.value, error.messages()) from None
        except PublishedVersionImmutable as error:
            messages.error(self.request, str(error))
            return redirect("forms:version", version_id=self.version.pk)
        messages.success(
            self.request,
            _("The draft of %(code)s (version %(number)d) is saved.")
            % {"code": version.template.code, "number": version.number},
        )
        return redirect("forms:version", version_id=version.pk)


class _ReturnToStep(Exception):
    def __init__(self, step: str, messages: list[str]):
        super().__init__(step)
        self.step = step
        self.messages = messages


form_builder = FormBuilderWizard.as_view(builder.STEP_FORMS)
