from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import modelform_factory
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from apps.accounts import services
from apps.accounts.forms import DeleteAccountForm, ProfileForm
from apps.accounts.languages import UI_LOCALE_SESSION_KEY, without_ui_locales
from apps.accounts.models import Profile
from apps.audit.models import AuditEvent
from apps.core.http import HtmxHttpRequest

PASSWORD_KINDS = [AuditEvent.Kind.PASSWORD_CHANGED, AuditEvent.Kind.PASSWORD_RESET]


def _live_validation(form: ProfileForm) -> ProfileForm:
    """Ask the server about each field as the user types; the result lands under the field."""
    url = reverse("accounts:profile-validate")
    for name in form.fields:
        bound = form[name]
        form.fields[name].widget.attrs.update(
            {
                "hx-post": url,
                "hx-trigger": "change" if name == "avatar" else "input changed delay:400ms",
                "hx-target": f"#{bound.auto_id}_errors",
                "hx-swap": "innerHTML",
                "hx-params": name,
                # A save in progress wins over a field check still on its way.
                "hx-sync": "closest form:abort",
                "aria-describedby": f"{bound.auto_id}_helptext {bound.auto_id}_errors",
            }
        )
    form.fields["avatar"].widget.attrs["hx-encoding"] = "multipart/form-data"
    return form


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HtmxHttpRequest) -> HttpResponse:
    instance = Profile.objects.for_user(request.user)
    instance.user = request.user  # already loaded; the page shows the display name
    form = ProfileForm(request.POST or None, request.FILES or None, instance=instance)
    saved = False
    if form.is_valid():
        instance = services.save_profile(form=form, request=request)
        if not request.htmx:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
        if "language" in form.changed_data:
            # The whole page changes language, not only the form: load it again.
            messages.success(request, _("Your profile is saved."))
            return HttpResponseClientRefresh()
        saved, form = True, ProfileForm(instance=instance)
    elif form.is_bound:
        # An invalid form has already copied its values onto `instance` (the very object
        # `request.user.profile` holds): the preview shows what is saved, not what was refused.
        instance = request.user.profile = Profile.objects.get(pk=instance.pk)
        instance.user = request.user
    template = "accounts/profile.html"
    if request.htmx and not request.htmx.boosted:
        template += "#profile-form"
    context = {"form": _live_validation(form), "profile": instance, "saved": saved}
    return render(request, template, context)


@login_required
@require_POST
def profile_validate(request: HtmxHttpRequest) -> HttpResponse:
    """One field, checked by the same form that saves it; nothing is stored."""
    name = request.htmx.trigger_name if request.htmx else None
    if name not in ProfileForm.Meta.fields:
        return HttpResponseBadRequest("Unknown field.")
    form_class = modelform_factory(Profile, form=ProfileForm, fields=[name])
    form = form_class(request.POST, request.FILES, instance=Profile.objects.for_user(request.user))
    form.is_valid()
    return render(request, "accounts/profile.html#field-errors", {"field": form[name]})


def two_factor_context(user) -> dict:
    """What the two-step verification panel shows (the same shape as allauth's MFA index)."""
    authenticators: dict = {"webauthn": []}
    for authenticator in Authenticator.objects.filter(user_id=user.pk).order_by("created_at"):
        if authenticator.type == Authenticator.Type.WEBAUTHN:
            authenticators["webauthn"].append(authenticator.wrap())
        else:
            authenticators[authenticator.type] = authenticator.wrap()
    codes = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    return {
        "authenticators": authenticators,
        "is_mfa_enabled": bool(authenticators.get("totp") or authenticators["webauthn"]),
        "passkeys": [key for key in authenticators["webauthn"] if key.is_passwordless],
        "unused_codes": len(codes.get_unused_codes()) if codes else 0,
    }


def session_list_context(request: HtmxHttpRequest) -> dict:
    sessions = services.list_sessions(user=request.user)
    current = request.session.session_key
    return {"sessions": sessions, "other_sessions": sum(s.session_key != current for s in sessions)}


@login_required
@require_GET
def security(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "password_changed": AuditEvent.objects.filter(user=user, kind__in=PASSWORD_KINDS).first(),
        "events": AuditEvent.objects.filter(user=user)[:5],
        **two_factor_context(user),
        **session_list_context(request),
    }
    return render(request, "accounts/security.html", context)


def _after_session_change(request: HtmxHttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        context = {**session_list_context(request), "status": message}
        return render(request, "accounts/_session_list.html", context)
    messages.success(request, message)
    return redirect(reverse("accounts:security") + "#sessions")


@login_required
@require_POST
def end_session(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(UserSession, pk=pk, user=request.user)
    if session.session_key == request.session.session_key:
        return redirect("account_logout")  # this browser: the ordinary sign-out page
    services.end_sessions(user=request.user, sessions=[session])
    return _after_session_change(request, _("That session is signed out."))


@login_required
@require_POST
def end_other_sessions(request: HtmxHttpRequest) -> HttpResponse:
    others = UserSession.objects.filter(user=request.user).exclude(session_key=request.session.session_key)
    count = services.end_sessions(user=request.user, sessions=list(others))
    if count:
        message = ngettext(
            "Signed out of %(count)d other session.", "Signed out of %(count)d other sessions.", count
        ) % {"count": count}
    else:
        message = _("No other sessions.")
    return _after_session_change(request, message)


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HtmxHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.delete_account(user=request.user, request=request)
        messages.success(request, _("Your account is deleted. Everything that could act as you is revoked."))
        return redirect("core:home")
    impact = services.deletion_impact(user=request.user)
    context = {"form": form, "impact": impact}
    return render(request, "accounts/delete_account.html", context)


@require_POST
def set_language(request: HtmxHttpRequest) -> HttpResponse:
    """The footer's language switcher: Django's `set_language` (the cookie, a safe `next`),
    which also saves the choice on a signed-in person's profile. The person's own choice wins
    over an app's `ui_locales` hint from then on, so `next` and the session drop that."""
    request.POST = request.POST.copy()
    request.POST["next"] = without_ui_locales(request.POST.get("next", ""))
    if hasattr(request, "session"):
        request.session.pop(UI_LOCALE_SESSION_KEY, None)
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.save_language(user=request.user, language=language, request=request)
    return response
