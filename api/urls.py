from django.urls import include, path

from api import views, views_tokens

app_name = "api"

# Every route here is an endpoint of /api/v1/ and is listed in its OpenAPI document.
v1_patterns = [
    path("openapi.json", views.openapi_document, name="openapi"),
    path("dataValueSets", views.data_value_sets, name="data-value-sets"),
    path("adx", views.adx, name="adx"),
]

urlpatterns = [
    path("v1/", include(v1_patterns)),
    path("tokens/", views_tokens.token_list, name="tokens"),
    path(
        "tokens/<int:token_id>/revoke/",
        views_tokens.token_revoke_view,
        name="token-revoke",
    ),
]
