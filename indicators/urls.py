from django.urls import path

from indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("xuat/", views.catalogue_export, name="export"),
    path("nhap/", views.catalogue_import, name="import"),
    path("lich-su/", views.history, name="history"),
    path("chenh-lech/", views.differences, name="differences"),
    path("anh-xa/<int:version_id>/", views.mapping_edit, name="mapping"),
    path("<str:code>/", views.indicator_detail, name="detail"),
]
