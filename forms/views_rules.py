"""The "Rules" page of a form version, for designers: the declared and designed
validation rules, a form to add, change or deactivate one, and a "try it" panel."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from forms.definition.model import PeriodType
from forms.selectors import access_form_version_by_id
from forms.views import designer_required
from orgunits.models import OrgLevel
from reporting.selectors import access_submission_by_id
from validation.declared import declared_rules
from validation.models import (
    IMPORTANCE_CHOICES,
    OPERATOR_CHOICES,
    STRATEGY_CHOICES,
    ValidationRule,
)
from validation.rules_services import (
    rule_try,
    validation_rule_deactivate,
    validation_rule_save,
)


class RuleForm(django_forms.Form):
    code = django_forms.CharField(label=gettext_lazy("rule code"), max_length=32)
    name = django_forms.CharField(label=gettext_lazy("name"), max_length=255)
    left = django_forms.CharField(label=gettext_lazy("left side"))
    operator = django_forms.ChoiceField(
        label=gettext_lazy("operator"), choices=OPERATOR_CHOICES
    )
    right = django_forms.CharField(label=gettext_lazy("right side"))
    left_strategy = django_forms.ChoiceField(
        label=gettext_lazy("missing values (left)"), choices=STRATEGY_CHOICES
    )
    right_strategy = django_forms.ChoiceField(
        label=gettext_lazy("missing values (right)"), choices=STRATEGY_CHOICES
    )
    importance = django_forms.ChoiceField(
        label=gettext_lazy("importance"), choices=IMPORTANCE_CHOICES
    )
    message = django_forms.CharField(
        label=gettext_lazy("message"),
        max_length=500,
        help_text=gettext_lazy(
            "Shown to the reporter; {left}, {right}, {row} and {column} are filled in."
        ),
    )
    period_types = django_forms.MultipleChoiceField(
        label=gettext_lazy("only for period types"),
        choices=[(member.value, member.value) for member in PeriodType],
        required=False,
        widget=django_forms.CheckboxSelectMultiple,
    )
    levels = django_forms.MultipleChoiceField(
        label=gettext_lazy("only for unit levels"),
        required=False,
        widget=django_forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["levels"].choices = [
            (level.code, level.name) for level in OrgLevel.objects.order_by("rank")
        ]


class TryForm(django_forms.Form):
    samples = django_forms.CharField(
        label=gettext_lazy("Sample values, one per line (02:1=12)"),
        required=False,
        widget=django_forms.Textarea(attrs={"rows": 4}),
    )
    submission = django_forms.IntegerField(
        label=gettext_lazy("or the number of a report"), required=False
    )


def _initial(rule: ValidationRule | None) -> dict:
    if rule is None:
        return {
            "left_strategy": "skip_if_any_value_missing",
            "right_strategy": "skip_if_any_value_missing",
            "importance": "error",
        }
    return {field: getattr(rule, field) for field in RuleForm.base_fields}


def _page(request, version, form, rule=None, tried=None, try_form=None, status=200):
    designed = ValidationRule.objects.filter(template_id=version.template_id)
    return render(
        request,
        "forms/rules.html",
        {
            "version": version,
            "template": version.template,
            "declared": declared_rules(version.form_definition),
            "designed": designed,
            "form": form,
            "rule": rule,
            "try_form": try_form or TryForm(),
            "tried": tried,
        },
        status=status,
    )


@designer_required
@require_http_methods(["GET", "POST"])
def version_rules(request, version_id: int, rule_id: int | None = None):
    version = access_form_version_by_id(request.user, version_id)
    rule = None
    if rule_id is not None:
        rule = get_object_or_404(
            ValidationRule, pk=rule_id, template_id=version.template_id
        )
    if request.method == "GET":
        return _page(request, version, RuleForm(initial=_initial(rule)), rule)
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _page(request, version, form, rule, status=400)
    try:
        validation_rule_save(
            acting_user=request.user,
            version=version,
            values=form.cleaned_data,
            rule=rule,
        )
    except ValidationError as error:
        for field, texts in error.message_dict.items():
            for text in texts:
                form.add_error(field if field in form.fields else None, text)
        return _page(request, version, form, rule, status=400)
    messages.success(request, _("The rule is saved."))
    return redirect("forms:rules", version_id=version.pk)


@designer_required
@require_POST
def version_rule_deactivate(request, version_id: int, rule_id: int):
    version = access_form_version_by_id(request.user, version_id)
    rule = get_object_or_404(
        ValidationRule, pk=rule_id, template_id=version.template_id
    )
    validation_rule_deactivate(acting_user=request.user, rule=rule)
    messages.success(request, _("The rule is deactivated."))
    return redirect("forms:rules", version_id=version.pk)


@designer_required
@require_POST
def version_rule_try(request, version_id: int):
    """Evaluate the rule as typed in the form on sample values or a report."""
    version = access_form_version_by_id(request.user, version_id)
    form = RuleForm(request.POST)
    try_form = TryForm(request.POST)
    if not form.is_valid() or not try_form.is_valid():
        return _page(request, version, form, try_form=try_form, status=400)
    submission = None
    if try_form.cleaned_data["submission"]:
        submission = access_submission_by_id(
            request.user, try_form.cleaned_data["submission"]
        )
        if submission.template_id != version.template_id:
            try_form.add_error("submission", _("This report is of another form."))
            return _page(request, version, form, try_form=try_form, status=400)
    tried = rule_try(
        version=version,
        values=form.cleaned_data,
        samples=try_form.cleaned_data["samples"],
        submission=submission,
    )
    return _page(request, version, form, tried=tried, try_form=try_form)
