"""The OpenAPI document lists every endpoint of /api/v1/."""

import json

import pytest
from django.urls import get_resolver

pytestmark = pytest.mark.django_db


def _v1_routes() -> set[str]:
    from api.urls import v1_patterns

    return {"/api/v1/" + str(p.pattern) for p in v1_patterns}


def test_openapi_is_valid_json_listing_every_v1_url(client):
    # given the URL patterns under /api/v1/
    routes = _v1_routes()
    assert get_resolver().resolve("/api/v1/dataValueSets")

    # when the document is read without a token
    response = client.get("/api/v1/openapi.json")

    # then it is OpenAPI 3.1 JSON with an operation for each route
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == routes
    for path, item in document["paths"].items():
        assert item, f"{path} has no operation"
        for operation in item.values():
            assert operation["responses"]


def test_every_schema_reference_resolves(client):
    document = client.get("/api/v1/openapi.json").json()
    text = json.dumps(document)
    for ref in {
        part.split('"')[0] for part in text.split('"$ref": "#/components/')[1:]
    }:
        section, name = ref.split("/")
        assert name in document["components"][section], ref
