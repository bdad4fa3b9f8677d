"""Who is calling the data API: bearer tokens, per-token and per-address rate limits,
and the ``api_endpoint`` decorator every endpoint of /api/v1/ wears.

An endpoint is written as a plain function ``view(request, principal, **kwargs)``
returning a JsonResponse (or any HttpResponse); the decorator authenticates, rate
limits, turns an ``ApiError`` into its JSON error, exempts the endpoint from CSRF
(tokens are not cookies) and records the endpoint's OpenAPI operations for
``api.openapi``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_noop, override
from django.views.decorators.csrf import csrf_exempt

from api.models import ApiToken
from orgunits.models import OrgUnit

ANONYMOUS_RATE_LIMIT = 60  # requests per minute and address
LAST_USED_EVERY = 60  # seconds between writes of a token's last_used_at
WINDOW = 60  # seconds of a rate-limit window


class ApiError(Exception):
    """A refusal answered as ``{"status": "ERROR", "code", "message", ...}``.

    ``message`` is an English msgid with ``%(name)s`` placeholders; the response
    carries it in Vietnamese and in English (machine clients rarely send
    Accept-Language).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        params: dict | None = None,
        *,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params or {}
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> JsonResponse:
        return error_response(
            self.status,
            self.code,
            self.message,
            self.params,
            headers=self.headers,
            extra=self.extra,
        )


def bilingual(message: str, params: dict | None = None) -> dict[str, str]:
    """Return ``message`` rendered in Vietnamese and English."""
    from django.utils.translation import gettext

    rendered = {}
    for language in ("vi", "en"):
        with override(language):
            text = gettext(message)
        rendered[language] = text % params if params else text
    return rendered


def error_response(
    status: int,
    code: str,
    message: str,
    params: dict | None = None,
    *,
    headers: dict | None = None,
    extra: dict | None = None,
) -> JsonResponse:
    texts = bilingual(message, params)
    body = {
        "status": "ERROR",
        "httpStatusCode": status,
        "code": code,
        "message": texts["vi"],
        "message_en": texts["en"],
        **(extra or {}),
    }
    response = JsonResponse(
        body, status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- Tokens ------------------------------------------------------------------------


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiPrincipal:
    """The caller of one request: a token's user (narrowed to the token's units), or
    nobody (``anonymous``) on an endpoint open to everyone."""

    user: object = None
    token: ApiToken | None = None
    unit_paths: tuple[str, ...] = field(default_factory=tuple)

    @property
    def anonymous(self) -> bool:
        return self.token is None

    @property
    def restricted(self) -> bool:
        return bool(self.unit_paths)

    def allows_unit(self, unit: OrgUnit) -> bool:
        """Return whether the token's unit restriction lets it act for ``unit``
        (the user's own roles are checked by the services)."""
        if self.anonymous:
            return False
        return not self.unit_paths or any(
            unit.path.startswith(path) for path in self.unit_paths
        )

    def restrict(self, units: QuerySet, *, path_field: str = "path") -> QuerySet:
        """Narrow a queryset (of units, or of rows reaching a unit through
        ``path_field``, e.g. ``org_unit__path``) to the token's units."""
        if self.anonymous:
            return units.none()
        if not self.unit_paths:
            return units
        clause = Q()
        for path in self.unit_paths:
            clause |= Q(**{f"{path_field}__startswith": path})
        return units.filter(clause)


def bearer_key(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, key = header.partition(" ")
    if not header:
        return None
    if scheme.casefold() != "bearer" or not key.strip():
        return ""
    return key.strip()


def api_auth(request: HttpRequest, *, anonymous: bool = False) -> ApiPrincipal:
    """Return the caller of ``request``; raise ApiError 401 for a missing, unknown
    or revoked token (a missing one is allowed where ``anonymous``)."""
    key = bearer_key(request)
    if key is None:
        if anonymous:
            return ApiPrincipal()
        raise ApiError(
            401,
            "token_missing",
            gettext_noop(
                "Authentication required: send the header Authorization: Bearer <token>."
            ),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    digest = key_hash(key) if key else ""
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=digest).first()
        if digest
        else None
    )
    # The lookup is by hash; compare it again in constant time all the same.
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        raise ApiError(
            401,
            "token_invalid",
            gettext_noop("The API token is not valid."),
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    if token.revoked_at is not None:
        raise ApiError(
            401,
            "token_revoked",
            gettext_noop("The API token was revoked on %(date)s."),
            {"date": timezone.localtime(token.revoked_at).strftime("%d/%m/%Y")},
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    if not token.user.is_active:
        raise ApiError(
            401,
            "user_inactive",
            gettext_noop("The account of this API token is disabled."),
        )
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    paths = tuple(token.units.values_list("path", flat=True))
    return ApiPrincipal(user=token.user, token=token, unit_paths=paths)


# --- Rate limits ----------------------------------------------------------------------


def rate_limit_check(bucket: str, limit: int) -> None:
    """Count one request in ``bucket``'s current minute; raise ApiError 429 past
    ``limit`` (a fixed window, counted atomically in Redis)."""
    now = time.time()
    window = int(now // WINDOW)
    key = f"api:rate:{bucket}:{window}"
    cache.add(key, 0, timeout=WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW + 5)
        count = 1
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW - now) + 1)
        raise ApiError(
            429,
            "rate_limited",
            gettext_noop(
                "Too many requests: at most %(limit)d per minute. Try again in %(seconds)d seconds."
            ),
            {"limit": limit, "seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_limit(request: HttpRequest, principal: ApiPrincipal) -> None:
    if principal.anonymous:
        rate_limit_check(f"ip:{client_address(request)}", ANONYMOUS_RATE_LIMIT)
    else:
        rate_limit_check(f"token:{principal.token.pk}", principal.token.rate_limit)


# --- The decorator ---------------------------------------------------------------------


def api_endpoint(
    *,
    methods: tuple[str, ...] = ("GET",),
    anonymous: bool = False,
    push: bool = False,
    openapi: dict | None = None,
):
    """Make ``view(request, principal, **kwargs)`` an endpoint of the data API.

    ``anonymous`` lets callers without a token in (open data; rate limited by
    address); ``push`` requires a token that may push; ``openapi`` maps the
    lower-case method to its OpenAPI operation object, listed by api.openapi.
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def endpoint(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        gettext_noop("Method %(method)s is not allowed here."),
                        {"method": request.method},
                        headers={"Allow": ", ".join(methods)},
                    )
                principal = api_auth(request, anonymous=anonymous)
                _rate_limit(request, principal)
                if push and not principal.token.can_push:
                    raise ApiError(
                        403,
                        "push_not_allowed",
                        gettext_noop("This API token may not push data."),
                    )
                return view(request, principal, *args, **kwargs)
            except ApiError as error:
                return error.response()

        endpoint.api_methods = methods
        endpoint.api_anonymous = anonymous
        endpoint.openapi = openapi or {}
        return endpoint

    return decorate
