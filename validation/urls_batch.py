from django.urls import path

from validation import views_batch

app_name = "validation_batch"
urlpatterns = [
    path("", views_batch.batch_list, name="list"),
    path("<int:batch_id>/", views_batch.batch_detail, name="detail"),
    path("<int:batch_id>/tien-do/", views_batch.batch_progress, name="progress"),
    path("<int:batch_id>/ket-qua.csv", views_batch.batch_download, name="download"),
]
