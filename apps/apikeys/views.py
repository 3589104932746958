from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.apikeys.forms import APIKeyForm
from apps.apikeys.models import APIKey
from apps.apikeys.services import create_api_key, revoke_api_key
from apps.core.http import HtmxHttpRequest
from apps.core.scopes import describe


def _render_keys(
    request: HtmxHttpRequest, *, form: APIKeyForm, new_key: str = "", new_name: str = "", notice: str = ""
) -> HttpResponse:
    rows = [
        {"key": key, "scopes": describe(key.scopes), "expired": key.is_expired()}
        for key in APIKey.objects.filter(user=request.user).defer("key_hash")
    ]
    template = "apikeys/key_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#api-keys"
    context = {"form": form, "rows": rows, "new_key": new_key, "new_name": new_name, "notice": notice}
    return render(request, template, context)


@login_required
@require_GET
def key_list(request: HtmxHttpRequest) -> HttpResponse:
    return _render_keys(request, form=APIKeyForm(user=request.user))


@never_cache  # the answer carries the key, shown this once
@login_required
@require_POST
def create_key(request: HtmxHttpRequest) -> HttpResponse:
    form = APIKeyForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_keys(request, form=form)
    api_key, raw = create_api_key(
        user=request.user,
        name=form.cleaned_data["name"],
        scopes=form.cleaned_data["scopes"],
        expires=form.expires(),
        request=request,
    )
    return _render_keys(request, form=APIKeyForm(user=request.user), new_key=raw, new_name=api_key.name)


@login_required
@require_POST
def revoke_key(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(APIKey, pk=pk, user=request.user)
    revoke_api_key(api_key=api_key, request=request)
    notice = _("The key “%(name)s” is revoked; it no longer works.") % {"name": api_key.name}
    if request.htmx:
        return _render_keys(request, form=APIKeyForm(user=request.user), notice=notice)
    messages.success(request, notice)
    return redirect("apikeys:key-list")
