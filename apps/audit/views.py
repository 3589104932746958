from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from apps.audit.models import AuditEvent
from apps.core.http import HtmxHttpRequest

Kind = AuditEvent.Kind
PAGE_SIZE = 25

# The log's filter: a few groups a person thinks in, not the 30-odd kinds.
FILTERS = {
    "sign-ins": (
        "Sign-ins and sessions",
        [Kind.SIGNED_IN, Kind.SIGN_IN_FAILED, Kind.SIGNED_OUT, Kind.SOCIAL_SIGNED_IN, Kind.SESSION_ENDED],
    ),
    "account": (
        "Account changes",
        [
            *(Kind.SIGNED_UP, Kind.PASSWORD_CHANGED, Kind.PASSWORD_RESET, Kind.PROFILE_UPDATED),
            *(Kind.EMAIL_CONFIRMED, Kind.EMAIL_ADDED, Kind.EMAIL_REMOVED, Kind.EMAIL_PRIMARY),
            *(Kind.MFA_ENABLED, Kind.MFA_DISABLED, Kind.MFA_RECOVERY_CODES),
            *(Kind.IDENTITY_LINKED, Kind.IDENTITY_UNLINKED),
            *(Kind.ACCOUNT_LOCKED, Kind.ACCOUNT_UNLOCKED, Kind.SIGNED_OUT_EVERYWHERE, Kind.MFA_RESET),
        ],
    ),
    "apps": (
        "Apps, tokens and keys",
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
    "totp": "authenticator app",
    "webauthn": "security key or passkey",
    "recovery_codes": "recovery codes",
}


def describe(event: AuditEvent) -> str:
    """The one line of detail a person needs, from whatever the recording app put in `data`."""
    data = event.data or {}
    parts = []
    for key in ("application", "app", "provider", "device"):
        if data.get(key):
            parts.append(str(data[key]).title() if key == "provider" else str(data[key]))
    if data.get("type") in MFA_TYPES:
        parts.append(MFA_TYPES[data["type"]].capitalize())
    if data.get("name"):
        parts.append(f"“{data['name']}”")
    if data.get("fields"):
        parts.append("Changed " + ", ".join(str(f).replace("_", " ") for f in data["fields"]))
    if data.get("scope"):
        parts.append(f"Scopes: {data['scope']}")
    if data.get("reason"):
        parts.append(f"Reason: {data['reason']}")
    if data.get("staff"):
        # Staff act on someone's account: the log names who, so the person can ask.
        parts.append(f"By {data['staff']} ({settings.SITE_NAME} staff)")
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
