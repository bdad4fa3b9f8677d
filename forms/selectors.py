"""Permission-checked reads of forms and versions."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from forms.models import FormTemplate, FormVersion, Regime, VersionStatus
from orgunits.selectors import grants_of


def user_is_designer(user) -> bool:
    """Return whether ``user`` may design forms (a designer role on any unit)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(grant.role == "designer" for grant in grants_of(user))


def form_versions_visible_to(user) -> QuerySet[FormVersion]:
    """Designers see every version; other signed-in users see published ones."""
    versions = FormVersion.objects.select_related("template", "template__regime")
    if user_is_designer(user):
        return versions
    if getattr(user, "is_authenticated", False) and user.is_active:
        return versions.filter(status=VersionStatus.PUBLISHED)
    return versions.none()


def access_form_version_by_id(user, version_id: int) -> FormVersion:
    try:
        return form_versions_visible_to(user).get(pk=version_id)
    except (FormVersion.DoesNotExist, ValueError, TypeError):
        raise Http404("No such form version") from None


def form_templates_for_designer(user) -> QuerySet[FormTemplate]:
    if not user_is_designer(user):
        return FormTemplate.objects.none()
    return FormTemplate.objects.select_related("regime").prefetch_related("versions")


def form_version_by_code(code: str, number: int | None = None) -> FormVersion:
    """Return version ``number`` of form ``code`` (the newest when None), for
    operators' commands."""
    versions = FormVersion.objects.select_related("template__regime").filter(
        template__code=code
    )
    version = (
        versions.filter(number=number).first()
        if number
        else versions.order_by("-number").first()
    )
    if version is None:
        raise FormVersion.DoesNotExist(code)
    return version


def access_form_template_by_id(user, template_id: int) -> FormTemplate:
    """Return the form ``template_id`` for a designer; 404 for anyone else."""
    try:
        return form_templates_for_designer(user).get(pk=template_id)
    except (FormTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such form") from None


def regimes_for_designer(user) -> QuerySet[Regime]:
    if not user_is_designer(user):
        return Regime.objects.none()
    return Regime.objects.all()


def form_template_code_taken(code: str) -> bool:
    return FormTemplate.objects.filter(code=code.strip()).exists()
