"""Endpoints of /api/v1/: push (dataValueSets, ADX) and the OpenAPI document.

Each endpoint is a plain function wearing ``api_endpoint`` (see api.auth), which
authenticates, rate limits and lists it in the OpenAPI document; a pull endpoint
is added the same way, with ``anonymous=True`` where open data may be read without
a token.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_noop

from api import openapi_spec
from api.auth import ApiError, ApiPrincipal, api_endpoint
from api.parsers import PushFormatError, read_adx, read_json
from api.push import STRATEGIES, data_values_push
from api.services import idempotency_lock, idempotency_record, request_hash

MAX_IDEMPOTENCY_KEY = 255


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _flag(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "false").strip().casefold()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no", ""}:
        return False
    raise ApiError(
        400,
        "parameter_invalid",
        gettext_noop("Parameter %(name)s must be true or false."),
        {"name": name},
    )


def _push(request: HttpRequest, principal: ApiPrincipal, reader) -> JsonResponse:
    strategy = request.GET.get("importStrategy", "CREATE_AND_UPDATE").strip().upper()
    if strategy not in STRATEGIES:
        raise ApiError(
            400,
            "parameter_invalid",
            gettext_noop("importStrategy must be one of %(choices)s."),
            {"choices": ", ".join(STRATEGIES)},
        )
    dry_run, submit = _flag(request, "dryRun"), _flag(request, "submit")
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApiError(
            413,
            "body_too_large",
            gettext_noop("The body is too large; send the data in several requests."),
        ) from None
    key = request.headers.get("Idempotency-Key", "").strip()
    hashed = ""
    if key:
        if len(key) > MAX_IDEMPOTENCY_KEY:
            raise ApiError(
                400,
                "idempotency_key_invalid",
                gettext_noop(
                    "The Idempotency-Key header is longer than %(max)d characters."
                ),
                {"max": MAX_IDEMPOTENCY_KEY},
            )
        hashed = request_hash(request.path, request.META.get("QUERY_STRING", ""), body)
        kept = idempotency_lock(principal.token, key)
        if kept is not None:
            if kept.request_hash != hashed:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    gettext_noop(
                        "The Idempotency-Key %(key)s was already used for a different request."
                    ),
                    {"key": key[:80]},
                )
            response = _json(kept.response, kept.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
    try:
        sets = reader(body)
    except PushFormatError as error:
        raise ApiError(400, error.code, error.message, error.params) from None
    summary = data_values_push(
        principal=principal,
        sets=sets,
        strategy=strategy,
        dry_run=dry_run,
        submit=submit,
    )
    status = 409 if summary["status"] == "ERROR" else 200
    if key:
        idempotency_record(
            token=principal.token,
            key=key,
            hashed=hashed,
            status_code=status,
            response=json.loads(json.dumps(summary)),
        )
    return _json(summary, status)


@api_endpoint(methods=("POST",), push=True, openapi=openapi_spec.DATA_VALUE_SETS)
def data_value_sets(request: HttpRequest, principal: ApiPrincipal) -> JsonResponse:
    """Store data values pushed as JSON (close to DHIS2's dataValueSets)."""
    return _push(request, principal, read_json)


@api_endpoint(methods=("POST",), push=True, openapi=openapi_spec.ADX)
def adx(request: HttpRequest, principal: ApiPrincipal) -> JsonResponse:
    """Store data values pushed as ADX 1.0 XML."""
    return _push(request, principal, read_adx)


@api_endpoint(methods=("GET",), anonymous=True, openapi=openapi_spec.OPENAPI)
def openapi_document(request: HttpRequest, principal: ApiPrincipal) -> JsonResponse:
    """Return the OpenAPI 3.1 document of /api/v1/."""
    from api.urls import v1_patterns

    return _json(openapi_spec.document(v1_patterns, prefix="/api/v1/"))
