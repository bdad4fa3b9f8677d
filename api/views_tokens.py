"""The page where administrators create and revoke API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from api.models import DEFAULT_RATE_LIMIT
from api.selectors import (
    access_token_by_id,
    tokens_visible_to,
    units_granted_administrator,
    user_administers_tokens,
)
from api.services import token_create, token_revoke
from orgunits.models import OrgUnit

# The new token's key waits here between the POST and the page it redirects to, so
# that reloading the page neither shows the key again nor creates a second token.
CREATED_KEY_SESSION = "api_token_created_key"


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    username = forms.CharField(label=_("Acts as user (login name)"), max_length=150)
    unit_codes = forms.CharField(
        label=_("Unit codes"),
        required=False,
        help_text=_("Separated by commas; empty: every unit of the user's roles."),
    )
    can_push = forms.BooleanField(label=_("May push data"), required=False)
    rate_limit = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=1,
        max_value=100_000,
        initial=DEFAULT_RATE_LIMIT,
    )

    def __init__(self, *args, acting_user, administered=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not acting_user.is_superuser:
            # Only a superuser may leave a token unrestricted (token_create).
            field = self.fields["unit_codes"]
            field.required = True
            field.help_text = _(
                "Separated by commas: units you administer, or units below them. "
                "Yours: %(units)s."
            ) % {
                "units": ", ".join(
                    f"{unit.code} ({unit.name})" for unit in administered
                )
            }

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationError(_("There is no user %(name)s.") % {"name": username})
        return user

    def clean_unit_codes(self):
        codes = [
            c.strip() for c in self.cleaned_data["unit_codes"].split(",") if c.strip()
        ]
        units = list(OrgUnit.objects.filter(code__in=codes, valid_to__isnull=True))
        found = {u.code for u in units}
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValidationError(
                _("There is no unit in force with the code %(code)s.")
                % {"code": missing[0]}
            )
        return units


def _require_admin(request: HttpRequest) -> None:
    if not user_administers_tokens(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    administered = units_granted_administrator(request.user)[:10]
    form = TokenForm(
        request.POST or None, acting_user=request.user, administered=administered
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _token, key = token_create(
                acting_user=request.user,
                name=data["name"],
                user=data["username"],
                units=data["unit_codes"],
                can_push=data["can_push"],
                rate_limit=data["rate_limit"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[CREATED_KEY_SESSION] = key
            return redirect("api:tokens")
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created_key": request.session.pop(CREATED_KEY_SESSION, None),
            "tokens": tokens_visible_to(request.user)[:500],
        },
    )
    # The page may carry a key: no cache keeps a copy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    _require_admin(request)
    token = access_token_by_id(request.user, token_id)
    token_revoke(acting_user=request.user, token=token)
    messages.success(
        request, _("The token %(name)s was revoked.") % {"name": token.name}
    )
    return redirect("api:tokens")
