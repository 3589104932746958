"""The OAuth playground pages: pick an app, run the real flow step by step, explain a URL."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from oauth2_provider.settings import oauth2_settings

from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core.http import HtmxHttpRequest
from apps.core.scopes import describe
from apps.developer import playground, services, verification
from apps.developer.explain import explain_authorize_url
from apps.developer.validators import check_redirect_uri, split_uris
from apps.oauth.models import Application
from apps.oauth.ratelimit import consume

# `read` is what /api/me/ asks for.
DEFAULT_SCOPES = ["openid", "profile", "email", "read"]
# Each step makes requests from this server to itself, which all count against this server's own
# address at the token endpoint: one developer must not use up that allowance for everyone.
STEPS_PER_MINUTE = 20


def _page(request: HtmxHttpRequest, app: Application | None, **extra) -> HttpResponse:
    """The playground page (or, for HTMX, just the run) for `app`."""
    endpoints = playground.Endpoints.for_request(request)
    run = playground.load_run(request.session, app) if app else None
    registered = app is not None and endpoints.callback in split_uris(app.redirect_uris)
    context = {
        "apps": Application.objects.filter(user=request.user).order_by("name"),
        "app": app,
        "run": run,
        "endpoints": endpoints,
        "callback_registered": registered,
        "callback_problem": _callback_problem(app, endpoints) if app and not registered else "",
        "loopback_page": _loopback_page(request),
        "is_confidential": app is not None and app.client_type == Application.CLIENT_CONFIDENTIAL,
        "allows_code": app is not None and app.allows_grant_type(Application.GRANT_AUTHORIZATION_CODE),
        "scopes": describe(app.allowed_scope_set) if app else [],
        "default_scopes": [s for s in DEFAULT_SCOPES if app and s in app.allowed_scope_set],
        **extra,
    }
    template = "developer/playground.html"
    if request.htmx and not request.htmx.boosted:
        template += "#playground-run"
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


def _callback_problem(app: Application, endpoints: playground.Endpoints) -> str:
    try:
        check_redirect_uri(endpoints.callback, native=app.client_type == Application.CLIENT_PUBLIC)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


def _loopback_page(request: HtmxHttpRequest) -> str:
    """On localhost, where the same page works as a loopback redirect URI (RFC 8252 §8.3)."""
    hostname, _, port = request.get_host().partition(":")
    if hostname != "localhost":
        return ""
    return f"http://127.0.0.1{':' if port else ''}{port}{reverse('developer:playground')}"


def _after_action(request: HtmxHttpRequest, app: Application) -> HttpResponse:
    if request.htmx and not request.htmx.boosted:
        return _page(request, app)
    return redirect(f"{reverse('developer:playground')}?app={app.pk}#playground-run")


def _current_run(request: HtmxHttpRequest, app: Application) -> playground.Run | None:
    run = playground.load_run(request.session, app)
    if run is None:
        messages.error(request, _("Start a run first: it may have expired with your session."))
    return run


def _too_fast(request: HtmxHttpRequest) -> bool:
    if wait := consume(f"developer-playground:user:{request.user.pk}", limit=STEPS_PER_MINUTE):
        messages.error(
            request,
            _("That's %(limit)s playground steps this minute: try again in %(wait)s s.")
            % {"limit": STEPS_PER_MINUTE, "wait": wait},
        )
        return True
    return False


@login_required
@require_GET
@vary_on_headers("HX-Request")
def playground_page(request: HtmxHttpRequest) -> HttpResponse:
    owned = Application.objects.filter(user=request.user)
    run = playground.load_run(request.session)
    if request.GET.get("app"):
        app = get_object_or_404(owned, pk=request.GET["app"])
    elif run is not None:
        app = owned.filter(pk=run.app).first()
    else:
        app = owned.order_by("name").first()
    return _page(request, app)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def playground_explain(request: HtmxHttpRequest) -> HttpResponse:
    url = request.GET.get("url", "")[:4000]
    explanation = None
    if url.strip():
        owned = Application.objects.filter(user=request.user)
        explanation = explain_authorize_url(
            url, applications=owned, authorize_path=reverse("oauth2_provider:authorize")
        )
    if request.htmx and not request.htmx.boosted:
        return render(
            request, "developer/playground.html#explanation", {"explanation": explanation, "explain_url": url}
        )
    app = explanation.application if explanation else None
    return _page(request, app, explanation=explanation, explain_url=url)


@login_required
@require_POST
def playground_add_callback(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application, pk=pk, user=request.user)
    callback = playground.Endpoints.for_request(request).callback
    before = split_uris(app.redirect_uris)
    try:
        services.add_redirect_uri(application=app, uri=callback)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(f"{reverse('developer:playground')}?app={app.pk}")
    record(
        AuditEvent.Kind.REDIRECT_URIS_CHANGED,
        user=request.user,
        request=request,
        application=app.name,
        client_id=app.client_id,
        before=before,
        after=split_uris(app.redirect_uris),
    )
    messages.success(
        request,
        _("Added %(callback)s to the redirect URIs of %(app)s.") % {"callback": callback, "app": app.name},
    )
    if verification.note_identity_change(application=app, request=request):
        messages.warning(
            request,
            _("%(app)s is unverified again: %(note)s") % {"app": app.name, "note": app.verification_note},
        )
    return redirect(f"{reverse('developer:playground')}?app={app.pk}")


@sensitive_post_parameters("client_secret")
@login_required
@require_POST
def playground_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application, pk=pk, user=request.user)
    scopes = [name for name in request.POST.getlist("scope") if name in app.allowed_scope_set]
    endpoints = playground.Endpoints.for_request(request)
    if not endpoints.secure:
        messages.error(request, _("The playground's OAuth client won't send credentials over plain http."))
        return _after_action(request, app)
    if _too_fast(request):
        return _after_action(request, app)
    # An app that requires PAR gets nothing from a plain request, so the playground pushes.
    par = "par" in request.POST or app.pushed_authorization_requests_required
    run = playground.start_run(
        application=app, endpoints=endpoints, scope=" ".join(scopes), par=par, secret=_pasted_secret(request)
    )
    playground.save_run(request.session, run)
    return _after_action(request, app)


@login_required
@require_GET
def playground_callback(request: HtmxHttpRequest) -> HttpResponse:
    """The redirect URI: record what came back, then show it on the playground (no code in the URL bar)."""
    run = playground.load_run(request.session)
    if run is None or not Application.objects.filter(pk=run.app, user=request.user).exists():
        messages.error(
            request, _("This callback does not belong to a playground run of yours. Start one here.")
        )
        return redirect("developer:playground")
    if run.stage == "authorize":
        issuer = oauth2_settings.oidc_issuer(request)
        playground.record_callback(run=run, query=request.GET.dict(), issuer=issuer)
        playground.save_run(request.session, run)
    return redirect(f"{reverse('developer:playground')}?app={run.app}#playground-run")


def _run_step(request: HtmxHttpRequest, pk: int, step) -> HttpResponse:
    """One POST step of a run: the app through ownership, the run from the session, then `step`."""
    app = get_object_or_404(Application, pk=pk, user=request.user)
    run = _current_run(request, app)
    if run is not None and playground.Endpoints.for_request(request).secure and not _too_fast(request):
        step(run=run, application=app, endpoints=playground.Endpoints.for_request(request))
        playground.save_run(request.session, run)
    return _after_action(request, app)


def _pasted_secret(request: HtmxHttpRequest) -> str:
    # Used for this one request to the server and dropped with it: never saved, never logged.
    return request.POST.get("client_secret", "").strip()


@sensitive_post_parameters("client_secret")
@login_required
@require_POST
def playground_exchange(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, partial(playground.exchange_code, secret=_pasted_secret(request)))


@login_required
@require_POST
def playground_call_api(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, playground.call_api)


@sensitive_post_parameters("client_secret")
@login_required
@require_POST
def playground_refresh(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, partial(playground.refresh, secret=_pasted_secret(request)))


@sensitive_post_parameters("client_secret")
@login_required
@require_POST
def playground_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _run_step(request, pk, partial(playground.revoke, secret=_pasted_secret(request)))


@login_required
@require_POST
def playground_reset(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application, pk=pk, user=request.user)
    playground.save_run(request.session, None)
    return _after_action(request, app)
