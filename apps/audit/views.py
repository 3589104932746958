from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from apps.audit.models import AuditEvent
from apps.core.http import HtmxHttpRequest

Kind = AuditEvent.Kind
PAGE_SIZE = 25

# The log's filter: a few groups a person thinks in, not the 30-odd kinds.
FILTERS = {
    "sign-ins": (
        gettext_lazy("Sign-ins and sessions"),
        [Kind.SIGNED_IN, Kind.SIGN_IN_FAILED, Kind.SIGNED_OUT, Kind.SOCIAL_SIGNED_IN, Kind.SESSION_ENDED],
    ),
    "account": (
        gettext_lazy("Account changes"),
        [
            *(Kind.SIGNED_UP, Kind.PASSWORD_CHANGED, Kind.PASSWORD_RESET, Kind.PROFILE_UPDATED),
            *(Kind.EMAIL_CONFIRMED, Kind.EMAIL_ADDED, Kind.EMAIL_REMOVED, Kind.EMAIL_PRIMARY),
            *(Kind.MFA_ENABLED, Kind.MFA_DISABLED, Kind.MFA_RECOVERY_CODES),
            *(Kind.IDENTITY_LINKED, Kind.IDENTITY_UNLINKED),
            *(Kind.ACCOUNT_LOCKED, Kind.ACCOUNT_UNLOCKED, Kind.SIGNED_OUT_EVERYWHERE, Kind.MFA_RESET),
        ],
    ),
    "apps": (
        gettext_lazy("Apps, tokens and keys"),
        [
            *(Kind.CONSENT_GRANTED, Kind.CONSENT_CHANGED, Kind.ACCESS_REVOKED),
            *(Kind.TOKEN_ISSUED, Kind.TOKEN_REVOKED, Kind.TOKEN_REUSE),
            *(Kind.APP_CREATED, Kind.APP_UPDATED, Kind.APP_DELETED, Kind.REDIRECT_URIS_CHANGED),
            *(Kind.SECRET_CREATED, Kind.SECRET_DELETED, Kind.APP_TOKENS_REVOKED),
            *(Kind.KEY_CREATED, Kind.KEY_REVOKED),
            *(Kind.VERIFICATION_REQUESTED, Kind.VERIFICATION_DOMAIN_PROVEN, Kind.VERIFICATION_CHECK_FAILED),
            *(Kind.VERIFICATION_APPROVED, Kind.VERIFICATION_REJECTED, Kind.VERIFICATION_LOST),
            *(Kind.APP_SUSPENDED, Kind.APP_REINSTATED),
        ],
    ),
}
# Worth a second look when you did not do them yourself.
ALERT_KINDS = {
    Kind.SIGN_IN_FAILED,
    Kind.TOKEN_REUSE,
    Kind.MFA_DISABLED,
    Kind.PASSWORD_RESET,
    Kind.EMAIL_ADDED,
    Kind.ACCOUNT_LOCKED,
    Kind.MFA_RESET,
    Kind.APP_SUSPENDED,
}
MFA_TYPES = {
    "totp": gettext_lazy("authenticator app"),
    "webauthn": gettext_lazy("passkey"),
    "recovery_codes": gettext_lazy("recovery codes"),
}
# How a sign-in was proven (apps.audit.receivers.sign_in_method).
SIGN_IN_METHODS = {
    "password": gettext_lazy("With password"),
    "passkey": gettext_lazy("With a passkey"),
    "code": gettext_lazy("With a sign-in code"),
    "password_reset": gettext_lazy("After a password reset"),
}
SECOND_FACTORS = {
    "totp": gettext_lazy("authenticator-app code"),
    "webauthn": gettext_lazy("passkey"),
    "recovery_codes": gettext_lazy("recovery code"),
}
# What a failed sign-in got wrong. Only the account owner reads it, and it names nothing the
# person who tried did not already know (never the address or the code tried).
FAILED_STEPS = {
    "password": gettext_lazy("Wrong password"),
    "totp": gettext_lazy("Wrong authenticator-app code"),
    "recovery_codes": gettext_lazy("Wrong recovery code"),
    "webauthn": gettext_lazy("Passkey not accepted"),
}

PROVIDER_NAMES = {
    "google-oauth2": "Google",
    "github": "GitHub",
    "facebook": "Facebook",
    "oidc": "OpenID Connect",
}


def provider_name(data: dict) -> str:
    """The provider as people know it; rows written before names were stored fall back to settings."""
    if data.get("provider_name"):
        return str(data["provider_name"])
    provider = str(data["provider"])
    configured = getattr(settings, f"SOCIAL_AUTH_{provider.upper().replace('-', '_')}_TITLE", None)
    return configured or PROVIDER_NAMES.get(provider, provider)


def _how(event: AuditEvent, data: dict) -> list[str]:
    """How a sign-in happened, or which step of a failed one went wrong."""
    parts = []
    if event.kind == Kind.SIGNED_IN:
        if data.get("method") == "provider" and data.get("provider"):
            parts.append(_("With %(provider)s") % {"provider": provider_name(data)})
        elif data.get("method") in SIGN_IN_METHODS:
            parts.append(str(SIGN_IN_METHODS[data["method"]]))
        if data.get("passkey"):
            parts.append(f"“{data['passkey']}”")
        if data.get("factor") in SECOND_FACTORS:
            parts.append(_("Second factor: %(factor)s") % {"factor": SECOND_FACTORS[data["factor"]]})
    elif event.kind == Kind.SIGN_IN_FAILED:
        failed = (
            data.get("factor") if data.get("step") in ("second_factor", "reauthentication") else "password"
        )
        parts.append(str(FAILED_STEPS.get(failed, FAILED_STEPS["password"])))
    return parts


def describe(event: AuditEvent) -> str:
    """The one line of detail a person needs, from whatever the recording app put in `data`."""
    data = event.data or {}
    parts = _how(event, data)
    for key in ("application", "app", "device"):
        if data.get(key):
            parts.append(str(data[key]))
    if data.get("provider") and event.kind != Kind.SIGNED_IN:
        parts.append(provider_name(data))
    if data.get("type") in MFA_TYPES:
        parts.append(MFA_TYPES[data["type"]].capitalize())
    if data.get("name"):
        parts.append(f"“{data['name']}”")
    if data.get("fields"):
        fields = ", ".join(str(f).replace("_", " ") for f in data["fields"])
        # Translators: the names of the profile fields that changed, e.g. "Changed display name, bio".
        parts.append(_("Changed %(fields)s") % {"fields": fields})
    if data.get("scope"):
        parts.append(_("Scopes: %(scope)s") % {"scope": data["scope"]})
    if data.get("reason"):
        parts.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    if data.get("staff"):
        # Staff act on someone's account: the log names who, so the person can ask.
        parts.append(
            _("By %(staff)s (%(site)s staff)") % {"staff": data["staff"], "site": settings.SITE_NAME}
        )
    if data.get("note"):
        parts.append(str(data["note"]))
    return " · ".join(parts)


def event_rows(events) -> list[dict]:
    """Events ready to display: no queries, no parsing in the template."""
    return [
        {
            "event": event,
            "detail": describe(event),
            "alert": event.kind in ALERT_KINDS,
        }
        for event in events
    ]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def security_log(request: HtmxHttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    events = AuditEvent.objects.filter(user=request.user)
    if show in FILTERS:
        events = events.filter(kind__in=FILTERS[show][1])
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": event_rows(page.object_list),
        "show": show if show in FILTERS else "",
        "filters": [(key, label) for key, (label, _) in FILTERS.items()],
    }
    template = "audit/security_log.html"
    if request.htmx and not request.htmx.boosted:
        template += "#event-list"
    return render(request, template, context)
