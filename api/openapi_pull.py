"""OpenAPI operations of the pull endpoints (see api.pull)."""

from __future__ import annotations

from api.openapi_spec import ERROR_RESPONSES, SCHEMAS


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema or {"type": "string"},
    }


OPEN_SECURITY = [{}, {"bearer": []}]
FILTERS = [
    _query("indicator", "Indicator codes, comma separated."),
    _query("unit", "Unit codes, comma separated."),
    _query("level", "Level code: national, province, district, commune."),
    _query("period", "A period (2026M01) or a range (2026M01..2026M10)."),
    _query("dims", "Dimension values, e.g. SEX:F,AREA:U."),
    _query(
        "reform",
        "as_reported (default), or the units before (pre2025) or after (post2025) "
        "the 2025 reform.",
        {"type": "string", "enum": ["as_reported", "pre2025", "post2025"]},
    ),
]

SCHEMAS["Observation"] = {
    "type": "object",
    "properties": {
        "indicator": {"type": "string"},
        "dims": {"type": "object", "additionalProperties": {"type": "string"}},
        "unit": {"type": "string"},
        "unitName": {"type": "string"},
        "level": {"type": "string"},
        "period": {"type": "string"},
        "value": {"type": "string", "description": "Exact decimal as text"},
        "status": {"type": "string", "enum": ["provisional", "official"]},
        "publishedAt": {"type": "string", "format": "date-time"},
        "revision": {"type": ["integer", "null"]},
        "approvalEvent": {"type": ["integer", "null"]},
    },
}

OBSERVATIONS = {
    "get": {
        "operationId": "observations",
        "summary": "Published observations as JSON, CSV or SDMX-CSV 2.0",
        "description": (
            "Without a token: official figures of open-data indicators. With a "
            "token: the units its user analyses, within the token's units."
        ),
        "tags": ["pull"],
        "security": OPEN_SECURITY,
        "parameters": [
            *FILTERS,
            _query(
                "format",
                "json (default), csv or sdmx-csv; or send Accept: text/csv or "
                "application/vnd.sdmx.data+csv;version=2.0.0.",
                {"type": "string", "enum": ["json", "csv", "sdmx-csv"]},
            ),
            _query("page", "JSON page number.", {"type": "integer", "minimum": 1}),
            _query(
                "pageSize",
                "JSON rows per page (at most 10,000).",
                {"type": "integer", "minimum": 1, "maximum": 10000},
            ),
        ],
        "responses": {
            "200": {
                "description": "The observations",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "pager": {"type": "object"},
                                "observations": {
                                    "type": "array",
                                    "items": {
                                        "$ref": "#/components/schemas/Observation"
                                    },
                                },
                            },
                        }
                    },
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.sdmx.data+csv; version=2.0.0": {
                        "schema": {"type": "string"}
                    },
                },
            },
            **ERROR_RESPONSES,
        },
    }
}

STRUCTURE = {
    "get": {
        "operationId": "sdmxStructure",
        "summary": "SDMX-ML 2.1 structure message (codelists, concepts, DSD, dataflow)",
        "tags": ["pull"],
        "security": OPEN_SECURITY,
        "responses": {
            "200": {
                "description": "The structure message",
                "content": {
                    "application/vnd.sdmx.structure+xml; version=2.1": {
                        "schema": {"type": "string"}
                    }
                },
            },
            **ERROR_RESPONSES,
        },
    }
}

INDICATORS = {
    "get": {
        "operationId": "indicators",
        "summary": "The indicator catalogue (open-data indicators without a token)",
        "tags": ["pull"],
        "security": OPEN_SECURITY,
        "responses": {
            "200": {
                "description": "The catalogue",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **ERROR_RESPONSES,
        },
    }
}

HISTORY = {
    "get": {
        "operationId": "observationHistory",
        "summary": "Every version of one observation, with its lineage",
        "tags": ["pull"],
        "parameters": [
            _query("indicator", "Indicator code."),
            _query("unit", "Unit code."),
            _query("period", "Period id."),
            _query("dims", "Dimension key, e.g. SEX=F;AREA=U (empty: none)."),
        ],
        "responses": {
            "200": {
                "description": "The versions, oldest first",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **ERROR_RESPONSES,
        },
    }
}

ROLLUP = {
    "get": {
        "operationId": "rollup",
        "summary": "Reported and rolled-up values per unit of a level",
        "tags": ["pull"],
        "parameters": [
            _query("indicator", "Indicator code."),
            _query("period", "Period id."),
            _query("level", "Level code."),
            _query("dims", "Dimension values, e.g. SEX:F."),
        ],
        "responses": {
            "200": {
                "description": "One row per unit and dimension key",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **ERROR_RESPONSES,
        },
    }
}
