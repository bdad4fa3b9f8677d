"""Regimes, report forms and their immutable published versions."""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.audit import audit_trackers
from forms.definition.model import FormDefinition
from forms.definition.serialize import definition_from_dict


@pghistory.track(*audit_trackers())
class Regime(models.Model):
    """A statistical reporting regime ("chế độ báo cáo"), set by a legal instrument."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=500)
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=500,
        help_text=_("For example: Thông tư 03/2019/TT-BTP ngày 20/3/2019."),
    )
    issuing_agency = models.CharField(_("issuing agency"), max_length=255)
    approval_levels = ArrayField(
        models.SlugField(max_length=32),
        verbose_name=_("approval chain"),
        default=list,
        blank=True,
        help_text=_("Level codes that review and approve, lowest first."),
    )
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_to = models.DateField(_("active to"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("reporting regime")
        verbose_name_plural = _("reporting regimes")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


@pghistory.track(*audit_trackers())
class FormTemplate(models.Model):
    """A report form across its versions; ``code`` is its official code."""

    regime = models.ForeignKey(
        Regime,
        on_delete=models.PROTECT,
        related_name="templates",
        verbose_name=_("regime"),
    )
    code = models.CharField(_("form code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=500)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("report form")
        verbose_name_plural = _("report forms")

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


@pghistory.track(*audit_trackers())
@pgtrigger.register(
    # Defence in depth: services refuse to edit a published version, and so does the
    # database, whatever code path tries.
    pgtrigger.Protect(
        name="published_version_is_immutable",
        operation=pgtrigger.Update | pgtrigger.Delete,
        condition=pgtrigger.Q(old__status="published"),
    ),
)
class FormVersion(models.Model):
    """One version of a form. A draft is editable; a published version never changes."""

    template = models.ForeignKey(
        FormTemplate,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("report form"),
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=VersionStatus.choices,
        default=VersionStatus.DRAFT,
    )
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["template__code", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="formversion_number_unique"
            ),
            models.UniqueConstraint(
                fields=["template"],
                condition=models.Q(status="draft"),
                name="formversion_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.code} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    @cached_property
    def form_definition(self) -> FormDefinition:
        return definition_from_dict(self.definition)
