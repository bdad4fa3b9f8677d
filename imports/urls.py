from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("da-tai-len/", views.job_list, name="jobs"),
    path("mau/", views.template_download, name="template"),
    path("<int:job_id>/", views.job_detail, name="job"),
    path("<int:job_id>/tien-do/", views.job_progress, name="progress"),
    path("<int:job_id>/xac-nhan/", views.job_confirm, name="confirm"),
    path("<int:job_id>/huy/", views.job_cancel, name="cancel"),
    path("<int:job_id>/tom-tat.json", views.job_summary_json, name="summary_json"),
    path("<int:job_id>/tom-tat.csv", views.job_summary_csv, name="summary_csv"),
    path("<int:job_id>/tep-goc/", views.job_file, name="file"),
    path(
        "bao-cao/<int:submission_id>/excel/",
        views.submission_xlsx,
        name="submission_xlsx",
    ),
]
