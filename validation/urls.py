from django.urls import path

from validation import views

app_name = "validation"
urlpatterns = [
    path("<int:submission_id>/nhap/", views.live_check, name="live_check"),
    path("<int:submission_id>/giai-trinh/", views.explain, name="explain"),
]
