"""The OpenAPI 3.1 document of /api/v1/, assembled from the endpoints themselves.

Every view wearing ``api.auth.api_endpoint`` carries its operations (``openapi=``,
keyed by lower-case method); ``document`` walks the URL patterns of /api/v1/ and
lists each one, so a new endpoint appears here by being routed. Shared shapes go
into ``SCHEMAS`` (a pull endpoint adds its own there).
"""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver

ERROR_RESPONSES = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}

PUSH_PARAMETERS = [
    {
        "name": "dryRun",
        "in": "query",
        "description": "true: check and count everything, store nothing.",
        "schema": {"type": "boolean", "default": False},
    },
    {
        "name": "importStrategy",
        "in": "query",
        "description": (
            "CREATE_AND_UPDATE merges into the stored values; REPLACE makes the "
            "pushed values the report's only values; DELETE removes the pushed cells."
        ),
        "schema": {
            "type": "string",
            "enum": ["CREATE_AND_UPDATE", "REPLACE", "DELETE"],
            "default": "CREATE_AND_UPDATE",
        },
    },
    {
        "name": "submit",
        "in": "query",
        "description": "true: submit each stored report (validation, then approval).",
        "schema": {"type": "boolean", "default": False},
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "description": (
            "Replays the stored response when the same token sends the same key and "
            "body again; the same key with another body is refused with 422."
        ),
        "schema": {"type": "string", "maxLength": 255},
    },
]

PUSH_RESPONSES = {
    "200": {
        "description": "Import summary (status SUCCESS or WARNING).",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ImportSummary"}
            }
        },
    },
    "409": {
        "description": "Nothing could be imported (status ERROR); see conflicts.",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ImportSummary"}
            }
        },
    },
    "422": {"$ref": "#/components/responses/IdempotencyConflict"},
    **ERROR_RESPONSES,
}

DATA_VALUE_SETS = {
    "post": {
        "operationId": "pushDataValueSets",
        "summary": "Push data values as JSON (close to DHIS2 dataValueSets)",
        "tags": ["push"],
        "parameters": PUSH_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/DataValueSet"},
                            {
                                "type": "object",
                                "required": ["dataValueSets"],
                                "properties": {
                                    "dataValueSets": {
                                        "type": "array",
                                        "items": {
                                            "$ref": "#/components/schemas/DataValueSet"
                                        },
                                    }
                                },
                            },
                        ]
                    }
                }
            },
        },
        "responses": PUSH_RESPONSES,
    }
}

ADX = {
    "post": {
        "operationId": "pushAdx",
        "summary": "Push data values as ADX 1.0 XML",
        "tags": ["push"],
        "parameters": PUSH_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/adx+xml": {"schema": {"type": "string"}},
                "application/xml": {"schema": {"type": "string"}},
            },
        },
        "responses": PUSH_RESPONSES,
    }
}

OPENAPI = {
    "get": {
        "operationId": "openapi",
        "summary": "This OpenAPI 3.1 document",
        "tags": ["meta"],
        "security": [{}, {"bearer": []}],
        "responses": {
            "200": {
                "description": "The document",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    }
}

_ERROR = {
    "description": "An error, in Vietnamese and English.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["status", "httpStatusCode", "code", "message", "message_en"],
        "properties": {
            "status": {"const": "ERROR"},
            "httpStatusCode": {"type": "integer"},
            "code": {"type": "string"},
            "message": {"type": "string", "description": "Vietnamese"},
            "message_en": {"type": "string", "description": "English"},
        },
    },
    "DataValue": {
        "type": "object",
        "required": ["dataElement", "categoryOptionCombo", "value"],
        "properties": {
            "dataElement": {"type": "string", "description": "Row code (mã số)"},
            "categoryOptionCombo": {
                "type": ["string", "integer"],
                "description": "Column number",
            },
            "value": {
                "type": ["string", "number", "boolean"],
                "description": "Numbers with a decimal point, no thousands separators; empty clears the cell",
            },
            "deleted": {"type": "boolean"},
        },
    },
    "DataValueSet": {
        "type": "object",
        "required": ["dataSet", "period", "orgUnit", "dataValues"],
        "properties": {
            "dataSet": {"type": "string", "description": "Form code"},
            "period": {"type": "string", "examples": ["2026M01", "2026Q1", "2026"]},
            "orgUnit": {"type": "string", "description": "Unit code"},
            "completeDate": {"type": "string"},
            "dataValues": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/DataValue"},
            },
        },
    },
    "Counts": {
        "type": "object",
        "properties": {
            name: {"type": "integer"}
            for name in ("created", "updated", "unchanged", "ignored", "deleted")
        },
    },
    "Conflict": {
        "type": "object",
        "properties": {
            "sheet": {"type": "string", "description": "dataValueSets[i]"},
            "cell": {"type": "string", "description": "dataValues[j]"},
            "unit": {"type": "string"},
            "period": {"type": "string"},
            "row_code": {"type": "string"},
            "column": {"type": ["integer", "string", "null"]},
            "value": {"type": "string"},
            "message": {"type": "string"},
            "message_en": {"type": "string"},
            "code": {"type": "string"},
            "severity": {"enum": ["error", "warning"]},
            "params": {"type": "object"},
        },
    },
    "ImportSummary": {
        "type": "object",
        "required": ["status", "counts", "conflicts"],
        "properties": {
            "status": {"enum": ["SUCCESS", "WARNING", "ERROR"]},
            "dry_run": {"type": "boolean"},
            "import_strategy": {"type": "string"},
            "counts": {"$ref": "#/components/schemas/Counts"},
            "reports": {"type": "array", "items": {"type": "object"}},
            "conflicts": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Conflict"},
            },
            "conflicts_total": {"type": "integer"},
        },
    },
}


def _openapi_path(route: str) -> str:
    """Return a Django route (``observations/<int:pk>``) as an OpenAPI path."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def operations(patterns, prefix: str) -> dict[str, dict]:
    """Return the OpenAPI path items of ``patterns`` (included ones too)."""
    paths: dict[str, dict] = {}
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            paths.update(
                operations(pattern.url_patterns, prefix + str(pattern.pattern))
            )
        elif isinstance(pattern, URLPattern):
            spec = getattr(pattern.callback, "openapi", None)
            path = "/" + _openapi_path(prefix + str(pattern.pattern)).lstrip("/")
            paths[path] = spec or {}
    return paths


def document(patterns, *, prefix: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Báo cáo thống kê điện tử – data API",
            "version": "1.0.0",
            "description": "Push and pull statistical report data. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": operations(patterns, prefix),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <token key>",
                }
            },
            "schemas": SCHEMAS,
            "responses": {
                "BadRequest": _ERROR,
                "Unauthorized": _ERROR,
                "Forbidden": _ERROR,
                "TooManyRequests": {
                    **_ERROR,
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
                "IdempotencyConflict": _ERROR,
            },
        },
    }
