"""Writes about regimes, forms and versions. Atomic, audited, all-or-nothing."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_context
from forms.definition.checks import check_definition
from forms.definition.model import FormDefinition
from forms.definition.problems import Problem, gettext_noop
from forms.definition.serialize import (
    DefinitionFormatError,
    definition_from_dict,
    definition_from_json,
    definition_to_dict,
    definition_to_json,
)
from forms.models import FormTemplate, FormVersion, Regime, VersionStatus


class FormDefinitionInvalid(Exception):
    """The definition has design problems; nothing was saved."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.render() for problem in problems))
        self.problems = problems

    def messages(self) -> list[str]:
        """Return each problem as a translated sentence with its location."""
        return [
            _("%(location)s: %(message)s")
            % {"location": problem.location, "message": problem.render(_)}
            for problem in self.problems
        ]


class PublishedVersionImmutable(Exception):
    """A published version was asked to change."""

    def __init__(self, version: FormVersion):
        super().__init__(
            _(
                "Version %(number)d of %(code)s is published and cannot be changed. "
                "Start a new version to make changes."
            )
            % {"number": version.number, "code": version.template.code}
        )
        self.version = version


def _checked(definition: FormDefinition) -> dict:
    problems = check_definition(definition)
    if problems:
        raise FormDefinitionInvalid(problems)
    return definition_to_dict(definition)


def regime_create(
    *,
    acting_user,
    code: str,
    name: str,
    legal_basis: str,
    issuing_agency: str,
    approval_levels: list[str] | None = None,
) -> Regime:
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="regime_create"),
    ):
        regime = Regime(
            code=code.strip(),
            name=name.strip(),
            legal_basis=legal_basis.strip(),
            issuing_agency=issuing_agency.strip(),
            approval_levels=approval_levels or [],
        )
        regime.full_clean()
        regime.save()
        return regime


def form_template_create(
    *, acting_user, regime: Regime, definition: FormDefinition
) -> FormVersion:
    """Create a form and its first version, as a draft; return the version."""
    data = _checked(definition)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="form_create"),
    ):
        template = FormTemplate(
            regime=regime, code=definition.code, title=definition.title
        )
        template.full_clean()
        template.save()
        version = FormVersion(
            template=template, number=1, definition=data, created_by=_user(acting_user)
        )
        version.full_clean()
        version.save()
        return version


def form_version_update_draft(
    *, acting_user, version: FormVersion, definition: FormDefinition
) -> FormVersion:
    """Replace a draft's definition; a published version refuses."""
    data = _checked(definition)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="form_version_update"),
    ):
        locked = (
            FormVersion.objects.select_for_update()
            .select_related("template")
            .get(pk=version.pk)
        )
        if locked.is_published:
            raise PublishedVersionImmutable(locked)
        if definition.code != locked.template.code:
            raise FormDefinitionInvalid(
                [
                    Problem(
                        "code_changed",
                        "code",
                        gettext_noop("The form code of a version must stay %(code)s."),
                        {"code": locked.template.code},
                    )
                ]
            )
        locked.definition = data
        locked.save(update_fields=["definition"])
        if locked.template.title != definition.title:
            locked.template.title = definition.title
            locked.template.save(update_fields=["title"])
        return locked


def form_version_publish(*, acting_user, version: FormVersion) -> FormVersion:
    """Publish a draft: from now on it never changes."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="form_version_publish"),
    ):
        locked = (
            FormVersion.objects.select_for_update()
            .select_related("template")
            .get(pk=version.pk)
        )
        if locked.is_published:
            raise PublishedVersionImmutable(locked)
        _checked(definition_from_dict(locked.definition))
        locked.status = VersionStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = _user(acting_user)
        locked.save(update_fields=["status", "published_at", "published_by"])
        return locked


def form_version_start_next(*, acting_user, template: FormTemplate) -> FormVersion:
    """Return the form's draft, starting one from the latest version if there is none."""
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="form_version_start"),
    ):
        FormTemplate.objects.select_for_update().get(pk=template.pk)
        draft = template.versions.filter(status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        latest = template.versions.order_by("-number").first()
        version = FormVersion(
            template=template,
            number=latest.number + 1,
            definition=latest.definition,
            created_by=_user(acting_user),
        )
        version.save()
        return version


def _user(acting_user):
    return acting_user if getattr(acting_user, "pk", None) else None


# --- Definitions as files --------------------------------------------------------


def form_version_export(version: FormVersion) -> str:
    """Return the version as a JSON document (definition plus regime and version)."""
    regime = version.template.regime
    extra = {
        "version": version.number,
        "published": version.is_published,
        "regime": {
            "code": regime.code,
            "name": regime.name,
            "legal_basis": regime.legal_basis,
            "issuing_agency": regime.issuing_agency,
            "approval_levels": list(regime.approval_levels),
        },
    }
    return definition_to_json(version.form_definition, extra)


class FormImportError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def form_import(*, acting_user, text: str | bytes) -> tuple[FormVersion, bool]:
    """Import a document written by ``form_version_export``; return (version, created).

    Importing the same document again changes nothing. A version number that exists
    with a different definition is refused when that version is published.
    """
    try:
        definition, document = definition_from_json(text)
    except DefinitionFormatError as error:
        raise FormImportError(
            [f"{p.location}: {p.render(_)}" for p in error.problems]
        ) from None
    try:
        number = int(document.get("version", 1))
        regime_data = document["regime"]
        published = bool(document.get("published", False))
        regime_fields = {
            key: regime_data[key] for key in ("name", "legal_basis", "issuing_agency")
        }
        regime_code = regime_data["code"]
        approval_levels = list(regime_data.get("approval_levels", []))
    except (KeyError, TypeError, ValueError):
        raise FormImportError(
            [
                _(
                    "The document lacks its regime (code, name, legal_basis, issuing_agency) or version."
                )
            ]
        ) from None
    data = _checked_or_import_error(definition)
    with (
        transaction.atomic(),
        audit_context(acting_user=acting_user, action="form_import"),
    ):
        regime = Regime.objects.filter(code=regime_code).first() or regime_create(
            acting_user=acting_user,
            code=regime_code,
            approval_levels=approval_levels,
            **regime_fields,
        )
        template = FormTemplate.objects.filter(code=definition.code).first()
        if template is None:
            template = FormTemplate(
                regime=regime, code=definition.code, title=definition.title
            )
            template.full_clean()
            template.save()
        existing = template.versions.filter(number=number).first()
        if existing is not None:
            if existing.definition == data and existing.is_published == published:
                return existing, False
            if existing.is_published:
                raise FormImportError(
                    [
                        _(
                            "Version %(number)d of %(code)s is already published with a "
                            "different content; import it as a new version number."
                        )
                        % {"number": number, "code": definition.code}
                    ]
                )
            version = form_version_update_draft(
                acting_user=acting_user, version=existing, definition=definition
            )
        else:
            if (
                published is False
                and template.versions.filter(status=VersionStatus.DRAFT).exists()
            ):
                raise FormImportError(
                    [
                        _("%(code)s already has a draft version.")
                        % {"code": definition.code}
                    ]
                )
            version = FormVersion(
                template=template,
                number=number,
                definition=data,
                created_by=_user(acting_user),
            )
            version.full_clean()
            version.save()
        if published and not version.is_published:
            version = form_version_publish(acting_user=acting_user, version=version)
        return version, True


def _checked_or_import_error(definition: FormDefinition) -> dict:
    try:
        return _checked(definition)
    except FormDefinitionInvalid as error:
        raise FormImportError(error.messages()) from None
