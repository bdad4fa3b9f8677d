from django.urls import include, path

from api import pull, views, views_tokens

app_name = "api"

# Every route here is an endpoint of /api/v1/ and is listed in its OpenAPI document.
v1_patterns = [
    path("openapi.json", views.openapi_document, name="openapi"),
    path("dataValueSets", views.data_value_sets, name="data-value-sets"),
    path("adx", views.adx, name="adx"),
    path("observations", pull.observations, name="observations"),
    path("observations/history", pull.history, name="observation-history"),
    path("rollup", pull.rollups, name="rollup"),
    path("indicators", pull.indicators, name="indicators"),
    path("sdmx/structure", pull.structure, name="sdmx-structure"),
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
