from django.urls import path

from workflow import views

app_name = "workflow"
urlpatterns = [
    path("", views.review_list, name="queue"),
    path("duyet-da-chon/", views.review_approve_selected, name="approve_selected"),
    path("duyet-bao-cao-sach/", views.review_approve_clean, name="approve_clean"),
    path("hang-loat/<int:job_id>/", views.bulk_detail, name="bulk"),
    path("hang-loat/<int:job_id>/tien-do/", views.bulk_progress, name="bulk_progress"),
    path("<int:submission_id>/", views.review_detail, name="review"),
    path("<int:submission_id>/duyet/", views.review_approve, name="approve"),
    path("<int:submission_id>/tra-lai/", views.review_return, name="return"),
    path("<int:submission_id>/huy-duyet/", views.review_unapprove, name="unapprove"),
    path("<int:submission_id>/chap-nhan/", views.review_accept, name="accept"),
]
