from django.urls import path

from orgunits import views

app_name = "orgunits"
urlpatterns = [
    path("", views.unit_index, name="index"),
    path("<int:unit_id>/", views.unit_detail, name="detail"),
]
