from django.urls import path

from forms import views

app_name = "forms"
urlpatterns = [
    path("", views.form_list, name="list"),
    path("moi/", views.form_builder, name="new"),
    path("tu-excel/", views.form_from_layout, name="from_layout"),
    path("che-do/moi/", views.regime_new, name="regime_new"),
    path(
        "<int:template_id>/phien-ban-moi/",
        views.version_start_next,
        name="start_next",
    ),
    path("<int:template_id>/so-sanh/", views.version_diff, name="diff"),
    path("phien-ban/<int:version_id>/", views.version_detail, name="version"),
    path("phien-ban/<int:version_id>/sua/", views.form_builder, name="edit"),
    path("phien-ban/<int:version_id>/cong-bo/", views.version_publish, name="publish"),
    path(
        "phien-ban/<int:version_id>/mau-excel/",
        views.version_template_xlsx,
        name="template_xlsx",
    ),
    path("phien-ban/<int:version_id>/pdf/", views.version_pdf, name="pdf"),
    path(
        "phien-ban/<int:version_id>/json/",
        views.version_export_json,
        name="export_json",
    ),
]

from forms import views_rules  # noqa: E402

urlpatterns += [
    path(
        "phien-ban/<int:version_id>/quy-tac/", views_rules.version_rules, name="rules"
    ),
    path(
        "phien-ban/<int:version_id>/quy-tac/<int:rule_id>/",
        views_rules.version_rules,
        name="rule_edit",
    ),
    path(
        "phien-ban/<int:version_id>/quy-tac/<int:rule_id>/tat/",
        views_rules.version_rule_deactivate,
        name="rule_deactivate",
    ),
    path(
        "phien-ban/<int:version_id>/quy-tac/thu/",
        views_rules.version_rule_try,
        name="rule_try",
    ),
]
