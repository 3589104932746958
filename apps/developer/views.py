"""Developer console pages: my apps, one app (credentials, usage, danger zone), its settings."""

from allauth.account.utils import has_verified_email
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core.http import HtmxHttpRequest
from apps.core.scopes import describe
from apps.developer import client_auth, services, verification
from apps.developer.forms import GRANTS, KINDS, ApplicationForm, UriListWidget
from apps.developer.validators import invalid_uris, split_uris
from apps.oauth import backchannel, supported
from apps.oauth.models import Application, ClientSecret
from apps.oauth.secrets import create_client_secret, delete_client_secret

Kind = AuditEvent.Kind
ENDPOINTS = [
    (pgettext_lazy("endpoint", "Discovery"), "oauth2_provider:oidc-connect-discovery-info"),
    (pgettext_lazy("endpoint", "Authorize"), "oauth2_provider:authorize"),
    (pgettext_lazy("endpoint", "Token"), "oauth2_provider:token"),
    (pgettext_lazy("endpoint", "User info"), "oauth2_provider:user-info"),
    (pgettext_lazy("endpoint", "Revoke"), "oauth2_provider:revoke-token"),
    ("JWKS", "oauth2_provider:jwks-info"),
]
# (label, noun in "+ Add …" and "Remove … 2", example): the noun stands without an article.
URI_FIELDS = {
    "redirect_uris": (
        gettext_lazy("Redirect URI"),
        pgettext_lazy("list row", "redirect URI"),
        "https://app.example.com/callback",
    ),
    "post_logout_redirect_uris": (
        gettext_lazy("Sign-out URI"),
        pgettext_lazy("list row", "sign-out URI"),
        "https://app.example.com/signed-out",
    ),
    "allowed_origins": (
        gettext_lazy("Origin"),
        pgettext_lazy("list row", "origin"),
        "https://app.example.com",
    ),
}


def _owned(request: HtmxHttpRequest, pk: int) -> Application:
    return get_object_or_404(Application, pk=pk, user=request.user)


def _checklist(app: Application, secrets: list) -> list[tuple[str, bool, str]]:
    """What a new app still needs, shown until every step is done, then out of the way."""
    settings_url = reverse("developer:app-edit", args=[app.pk])
    steps = [
        (
            _("Add a logo and a privacy policy"),
            bool(app.logo and app.privacy_policy_url),
            f"{settings_url}#field-logo",
        ),
        (
            _("Issue a first token"),
            app.last_issued is not None,
            f"{reverse('developer:playground')}?app={app.pk}",
        ),
    ]
    if app.allows_grant_type(Application.GRANT_AUTHORIZATION_CODE):
        steps.insert(
            0, (_("Add a redirect URI"), bool(app.redirect_uris), f"{settings_url}#field-redirect_uris")
        )
    if app.client_auth_method == supported.PRIVATE_KEY_JWT:
        keys_url = f"{settings_url}#client-auth-section"
        steps.insert(0, (_("Register your public keys"), bool(app.jwks or app.jwks_uri), keys_url))
    elif app.client_type == Application.CLIENT_CONFIDENTIAL:
        steps.insert(0, (_("Generate a client secret"), bool(secrets), "#secret-panel"))
    return [] if all(done for _label, done, _url in steps) else steps


def _detail_context(request: HtmxHttpRequest, app: Application, **extra) -> dict:
    """Everything app_detail.html shows; `app` carries the with_usage() annotations."""
    secrets = list(app.secrets.all())
    return {
        "app": app,
        "secrets": secrets,
        "checklist": _checklist(app, secrets),
        "chart": services.token_chart(application=app),
        "scopes": describe(app.allowed_scope_set),
        "grants": [GRANTS[grant][0] for grant in GRANTS if app.allows_grant_type(grant)],
        "is_confidential": app.client_type == Application.CLIENT_CONFIDENTIAL,
        "redirect_uris": split_uris(app.redirect_uris),
        "endpoints": [(label, request.build_absolute_uri(reverse(name))) for label, name in ENDPOINTS],
        "verification": verification.app_panel(app),
        "client_auth": client_auth.describe(app),
        # Sign-out notices (OIDC Back-Channel Logout) are for apps that sign people in.
        "backchannel": backchannel.delivery_summary(app)
        if app.allows_grant_type(Application.GRANT_AUTHORIZATION_CODE) or app.backchannel_logout_uri
        else None,
        **extra,
    }


def _render_form(request: HtmxHttpRequest, form: ApplicationForm, *, app, kind) -> HttpResponse:
    preview = services.consent_preview(form.preview_data(), application=app, owner=request.user)
    context = {"form": form, "app": app, "kind": kind, "preview": preview}
    return render(request, "developer/app_form.html", context)


def _usage_app(request: HtmxHttpRequest, pk: int) -> Application:
    return get_object_or_404(services.with_usage(Application.objects.filter(user=request.user)), pk=pk)


@login_required
@require_GET
def app_list(request: HtmxHttpRequest) -> HttpResponse:
    apps = services.with_usage(Application.objects.filter(user=request.user)).order_by("-created")
    try:
        services.check_can_register(user=request.user)
        cannot_register = ""
    except PermissionDenied as exc:
        cannot_register = str(exc)
    context = {
        "apps": apps,
        "cannot_register": cannot_register,
        # The template links to the email page for this reason; it must not test the (translated) words.
        "cannot_register_email": bool(cannot_register) and not has_verified_email(request.user),
        "max_apps": settings.GATEHOUSE_MAX_APPS_PER_USER,
    }
    return render(request, "developer/app_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def app_create(request: HtmxHttpRequest) -> HttpResponse:
    try:
        services.check_can_register(user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("developer:app-list")
    kind = KINDS.get(request.GET.get("kind", ""))
    if kind is None and request.method == "GET":
        return render(request, "developer/app_kind.html", {"kinds": KINDS.values()})
    initial = kind.initial if kind else {}
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        user=request.user,
        kind_slug=kind.slug if kind else "",
    )
    if form.is_valid():
        app = services.register_application(application=form.save(commit=False), owner=request.user)
        record(
            Kind.APP_CREATED,
            user=request.user,
            request=request,
            application=app.name,
            client_id=app.client_id,
        )
        client_auth.record_changes(request=request, application=app, changed=form.changed_data)
        messages.success(request, _("%(app)s is registered.") % {"app": app.name})
        if app.client_auth_method in ("", *supported.SECRET_AUTH_METHODS):
            # Its first secret now, shown once, rather than after another click.
            app = _usage_app(request, app.pk)
            return _new_secret_page(request, app, "developer/app_detail.html", replace_url=True)
        return redirect("developer:app-detail", pk=app.pk)
    return _render_form(request, form, app=None, kind=kind)


@login_required
@require_GET
def app_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = _usage_app(request, pk)
    return render(request, "developer/app_detail.html", _detail_context(request, app))


@login_required
@require_http_methods(["GET", "POST"])
def app_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = _owned(request, pk)
    before_uris, before_logo = split_uris(app.redirect_uris), app.logo.name
    before_format = app.access_token_format
    form = ApplicationForm(request.POST or None, request.FILES or None, instance=app, user=request.user)
    if form.is_valid():
        app = services.save_settings(application=form.save(commit=False))
        services.replace_logo(application=app, previous=before_logo)
        if verification.note_identity_change(application=app, request=request):
            messages.warning(
                request,
                _("%(app)s is unverified again: %(note)s") % {"app": app.name, "note": app.verification_note},
            )
        audit = {"application": app.name, "client_id": app.client_id}
        if form.changed_data:
            # Say what the token format became, as the redirect-URI change says its URIs.
            format_change = (
                {"access_token_format": {"before": before_format, "after": app.access_token_format}}
                if app.access_token_format != before_format
                else {}
            )
            record(
                Kind.APP_UPDATED,
                user=request.user,
                request=request,
                fields=form.changed_data,
                **format_change,
                **audit,
            )
        client_auth.record_changes(request=request, application=app, changed=form.changed_data)
        if split_uris(app.redirect_uris) != before_uris:
            after = split_uris(app.redirect_uris)
            record(
                Kind.REDIRECT_URIS_CHANGED,
                user=request.user,
                request=request,
                before=before_uris,
                after=after,
                **audit,
            )
        messages.success(request, _("Your changes are saved."))
        return redirect("developer:app-detail", pk=app.pk)
    return _render_form(request, form, app=app, kind=None)


@login_required
@require_POST
def app_request_verification(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = _owned(request, pk)
    try:
        verification.request_verification(application=app, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Checking %(domain)s. We'll email you the result.") % {"domain": app.verification_domain},
        )
    return redirect(reverse("developer:app-detail", args=[app.pk]) + "#verification-title")


@login_required
@require_GET
def consent_preview(request: HtmxHttpRequest, pk: int | None = None) -> HttpResponse:
    app = _owned(request, pk) if pk else None
    preview = services.consent_preview(request.GET, application=app, owner=request.user)
    return render(request, "developer/_consent_preview.html", {"preview": preview})


@login_required
@require_GET
def uri_editor(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """The HTMX list editor that replaces a URI textarea: one row per URI, plus an empty one."""
    if name not in URI_FIELDS:
        raise Http404
    values = split_uris(UriListWidget().value_from_datadict(request.GET, {}, name) or "")
    native = request.GET.get("client_type") == Application.CLIENT_PUBLIC
    invalid = invalid_uris(values, name=name, native=native)
    label, noun, example = URI_FIELDS[name]
    rows = [
        {"value": value, "number": i, "invalid": i - 1 in invalid}
        for i, value in enumerate([*values, ""], start=1)
    ]
    context = {"name": name, "label": label, "noun": noun, "example": example, "rows": rows}
    return render(request, "developer/_uri_editor.html", context)


@login_required
@require_GET
def uri_row(request: HtmxHttpRequest, name: str) -> HttpResponse:
    if name not in URI_FIELDS:
        raise Http404
    label, noun, example = URI_FIELDS[name]
    row = {"value": "", "number": len(request.GET.getlist(name)) + 1}
    context = {"name": name, "label": label, "noun": noun, "example": example, "row": row}
    return render(request, "developer/_uri_editor.html#uri-row", context)


@login_required
@require_POST
def secret_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = _usage_app(request, pk)
    if app.client_type != Application.CLIENT_CONFIDENTIAL:
        messages.error(request, _("Public clients have no secret: they prove themselves with PKCE."))
        return redirect("developer:app-detail", pk=app.pk)
    template = "developer/app_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#secret-panel"
    return _new_secret_page(request, app, template)


def _new_secret_page(request: HtmxHttpRequest, app: Application, template: str, **extra) -> HttpResponse:
    """Generate a client secret and show it, once."""
    secret, plaintext = create_client_secret(application=app)
    record(
        Kind.SECRET_CREATED,
        user=request.user,
        request=request,
        application=app.name,
        last_four=secret.last_four,
    )
    # The only response that ever carries this secret: keep it out of every cache.
    response = render(
        request,
        template,
        _detail_context(request, app, new_secret=plaintext, new_secret_id=secret.pk, **extra),
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def secret_delete(request: HtmxHttpRequest, pk: int, secret_pk: int) -> HttpResponse:
    app = _usage_app(request, pk)
    secret = get_object_or_404(ClientSecret, pk=secret_pk, application=app)
    last_four = secret.last_four
    delete_client_secret(secret=secret)
    record(Kind.SECRET_DELETED, user=request.user, request=request, application=app.name, last_four=last_four)
    if request.htmx and not request.htmx.boosted:
        return render(request, "developer/app_detail.html#secret-panel", _detail_context(request, app))
    messages.success(
        request,
        _("The secret ending in %(last_four)s is deleted and no longer works.") % {"last_four": last_four},
    )
    return redirect("developer:app-detail", pk=app.pk)


@login_required
@require_GET
def app_confirm_revoke_tokens(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The confirm step of "Revoke all tokens": a dialog with HTMX, a page of its own without."""
    app = _owned(request, pk)
    template = "developer/confirm_revoke_tokens.html"
    if request.htmx and not request.htmx.boosted:
        template += "#revoke-tokens-dialog"
    context = {"app": app, "impact": services.revoke_impact(application=app)}
    return render(request, template, context)


@login_required
@require_POST
def app_revoke_tokens(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = _owned(request, pk)
    revoked = services.revoke_all_app_tokens(application=app)
    record(Kind.APP_TOKENS_REVOKED, user=request.user, request=request, application=app.name, revoked=revoked)
    messages.success(
        request,
        ngettext(
            "Revoked %(count)s token. People signed in to %(app)s must sign in again.",
            "Revoked %(count)s tokens. People signed in to %(app)s must sign in again.",
            revoked,
        )
        % {"count": revoked, "app": app.name},
    )
    return redirect("developer:app-detail", pk=app.pk)


@login_required
@require_POST
def app_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = _usage_app(request, pk)
    if request.POST.get("confirm", "").strip() != app.name:
        context = _detail_context(
            request, app, delete_error=_("Type %(app)s exactly to confirm.") % {"app": app.name}
        )
        return render(request, "developer/app_detail.html", context)
    name, client_id = app.name, app.client_id
    revoked = services.delete_application(application=app)
    record(
        Kind.APP_DELETED,
        user=request.user,
        request=request,
        application=name,
        client_id=client_id,
        revoked=revoked,
    )
    messages.success(
        request, _("%(app)s is deleted. Its client ID and secrets no longer work.") % {"app": name}
    )
    return redirect("developer:app-list")
