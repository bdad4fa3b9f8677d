"""Tokens and pushes for API tests: a form reported by the communes of a small
tree, a reporter of one commune and a token acting as that reporter."""

import json
from dataclasses import dataclass

from api.services import token_create
from tests.factories import make_user
from tests.imports.factories import Setup, report_setup

PERIOD = "2025"


@dataclass
class ApiSetup(Setup):
    token: object = None
    key: str = ""

    @property
    def form_code(self) -> str:
        return self.version.template.code


def api_setup(*, can_push=True, rate_limit=600, units=("commune",)) -> ApiSetup:
    setup = report_setup()
    admin = make_user(role="administrator", unit=setup.tree.province)
    token, key = token_create(
        acting_user=admin,
        name="Hệ thống của Bộ",
        user=setup.reporter,
        units=[getattr(setup.tree, name) for name in units],
        can_push=can_push,
        rate_limit=rate_limit,
    )
    return ApiSetup(setup.version, setup.tree, setup.reporter, token, key)


def data_value_set(setup, values: dict[str, object], *, unit=None, period=PERIOD):
    return {
        "dataSet": setup.form_code,
        "period": period,
        "orgUnit": (unit or setup.unit).code,
        "dataValues": [
            {
                "dataElement": cell.split(":")[0],
                "categoryOptionCombo": cell.split(":")[1],
                "value": value,
            }
            for cell, value in values.items()
        ],
    }


def push(
    client, setup, body, *, query="", key=None, headers=None, path="dataValueSets"
):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key if key is not None else setup.key}"}
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    if isinstance(body, dict):
        data, content_type = json.dumps(body), "application/json"
    else:
        data, content_type = body, "application/adx+xml"
    url = f"/api/v1/{path}" + (f"?{query}" if query else "")
    return client.post(url, data=data, content_type=content_type, **extra)
