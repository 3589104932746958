"""The connected-apps pages: what each app may do for the user, and taking it back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.core.http import HtmxHttpRequest
from apps.core.scopes import CATALOGUE
from apps.oauth import services


@login_required
@require_GET
@vary_on_headers("HX-Request")
def connected_apps(request: HtmxHttpRequest) -> HttpResponse:
    template = "oauth/connected_apps.html"
    if request.htmx and not request.htmx.boosted:
        template += "#app-list"
    apps = services.list_connected_apps(user=request.user)
    return render(request, template, {"apps": apps})


@login_required
@require_GET
def connected_app(request: HtmxHttpRequest, client_id: str) -> HttpResponse:
    app = services.get_connected_app(user=request.user, client_id=client_id)
    return render(request, "oauth/connected_app.html", {"app": app})


@login_required
@require_GET
def confirm_revoke_access(request: HtmxHttpRequest, client_id: str) -> HttpResponse:
    app = services.get_connected_app(user=request.user, client_id=client_id)
    template = "oauth/confirm_revoke_access.html"
    if request.htmx:
        template += "#revoke-dialog"
    return render(request, template, {"app": app})


@login_required
@require_POST
def revoke_access(request: HtmxHttpRequest, client_id: str) -> HttpResponse:
    application = services.get_consent(user=request.user, client_id=client_id).application
    services.revoke_access(user=request.user, application=application, request=request)
    return _back_to_list(request, _("%(app)s can no longer access your account.") % {"app": application.name})


@login_required
@require_GET
def confirm_revoke_all(request: HtmxHttpRequest) -> HttpResponse:
    template = "oauth/confirm_revoke_all.html"
    if request.htmx:
        template += "#revoke-all-dialog"
    return render(request, template, {"apps": services.applications_with_access(user=request.user)})


@login_required
@require_POST
def revoke_all(request: HtmxHttpRequest) -> HttpResponse:
    count = services.revoke_all_access(user=request.user, request=request)
    status = ngettext(
        "Access revoked for %(count)s app. None of them can use your account now.",
        "Access revoked for %(count)s apps. None of them can use your account now.",
        count,
    )
    return _back_to_list(request, status % {"count": count})


@login_required
@require_POST
def remove_scope(request: HtmxHttpRequest, client_id: str, scope: str) -> HttpResponse:
    application = services.get_consent(user=request.user, client_id=client_id).application
    label = CATALOGUE[scope].label if scope in CATALOGUE else scope
    try:
        consent = services.remove_scope(
            user=request.user, application=application, scope=scope, request=request
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _to(request, reverse("oauth:connected-app", args=[client_id]))
    if consent is None:
        return _back_to_list(
            request, _("%(app)s can no longer access your account.") % {"app": application.name}
        )
    status = _("%(app)s no longer has access to: %(scope)s.") % {"app": application.name, "scope": label}
    if request.htmx:
        app = services.get_connected_app(user=request.user, client_id=client_id)
        return render(request, "oauth/connected_app.html#granted-scopes", {"app": app, "status": status})
    messages.success(request, status)
    return redirect("oauth:connected-app", client_id=client_id)


def _back_to_list(request: HtmxHttpRequest, status: str) -> HttpResponse:
    """After a revocation: the refreshed list for HTMX, else the list page with a message."""
    if request.htmx and request.htmx.target == "app-list":
        apps = services.list_connected_apps(user=request.user)
        return render(request, "oauth/connected_apps.html#app-list", {"apps": apps, "status": status})
    messages.success(request, status)
    return _to(request, reverse("oauth:connected-apps"))


def _to(request: HtmxHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
