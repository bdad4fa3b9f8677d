from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path(
        "nhap/<int:template_id>/<int:unit_id>/<str:period>/",
        views.entry,
        name="entry",
    ),
    path("nhap/<int:submission_id>/luu/", views.entry_save, name="entry_save"),
    path("nhap/<int:submission_id>/nop/", views.entry_submit, name="entry_submit"),
]

# Revisions, receipts and lock exceptions (reporting/views_history.py).
from reporting import views_history  # noqa: E402

urlpatterns += [
    path(
        "<int:submission_id>/phien-ban/",
        views_history.revision_list,
        name="revisions",
    ),
    path(
        "<int:submission_id>/phien-ban/<int:number>/",
        views_history.revision_detail,
        name="revision",
    ),
    path(
        "<int:submission_id>/phien-ban/<int:number>/khoi-phuc/",
        views_history.revision_restore,
        name="revision_restore",
    ),
    path(
        "<int:submission_id>/phien-ban/<int:number>/pdf/",
        views_history.revision_pdf,
        name="revision_pdf",
    ),
    path(
        "kiem-tra-bien-nhan/",
        views_history.receipt_verification,
        name="receipt_verify",
    ),
    path("bien-nhan/<str:number>/", views_history.receipt_detail, name="receipt"),
    path(
        "bien-nhan/<str:number>/pdf/",
        views_history.receipt_pdf,
        name="receipt_pdf",
    ),
    path(
        "bien-nhan/<str:number>/gia-tri.txt",
        views_history.receipt_values,
        name="receipt_values",
    ),
    path("mo-khoa/", views_history.lock_exception, name="lock_exception"),
]

# My reports, completeness and notifications (reporting/views_inbox.py).
from reporting import views_inbox  # noqa: E402

urlpatterns += [
    path("cua-toi/", views_inbox.inbox, name="inbox"),
    path("tinh-hinh-nop/", views_inbox.completeness, name="completeness"),
    path(
        "tinh-hinh-nop/excel/",
        views_inbox.completeness_xlsx,
        name="completeness_xlsx",
    ),
    path("thong-bao/", views_inbox.notification_list, name="notifications"),
    path(
        "thong-bao/<int:notification_id>/da-doc/",
        views_inbox.notification_read,
        name="notification_read",
    ),
    path(
        "thong-bao/da-doc-het/",
        views_inbox.notifications_read_all,
        name="notifications_read_all",
    ),
]
