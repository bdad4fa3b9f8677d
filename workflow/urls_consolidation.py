from django.urls import path

from workflow import views_consolidation as views

app_name = "consolidation"
urlpatterns = [
    path("<int:submission_id>/", views.compiled_report, name="detail"),
    path(
        "<int:template_id>/<int:unit_id>/<str:period>/",
        views.compiled_report_by_key,
        name="by_key",
    ),
]
