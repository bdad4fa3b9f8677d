from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    """Report forms; labelled ``eforms`` because ``django.forms`` owns ``forms``."""

    name = "forms"
    label = "eforms"
    verbose_name = _("Report forms")
