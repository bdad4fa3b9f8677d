"""Pages every user meets: home, health check and friendly error pages."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_GET

from orgunits.selectors import roles_by_unit, top_units_of
from reporting.inbox import inbox_page

NEXT_REPORTS = 5


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Show each user what is theirs: their units, roles and what to do next."""
    return render(
        request,
        "core/home.html",
        {
            "roles_by_unit": roles_by_unit(request.user),
            "top_units": top_units_of(request.user),
            "next_reports": inbox_page(request.user, per_page=NEXT_REPORTS),
        },
    )


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def csrf_failure(request, reason=""):
    return render(request, "errors/403_csrf.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No request context: the database or the session store may be what failed, and
    # the context processors would touch both.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
