"""What staff do to apps and people, each step audited in the affected person's security log.

Every function takes the staff member acting (`staff`) and records their name, so the person
sees who did it. Verification decisions live with the flow they end (apps.developer.verification).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncHour
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model

from apps.accounts.models import User
from apps.accounts.services import end_sessions
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core import rowcache
from apps.oauth.models import Application

Kind = AuditEvent.Kind
AccessToken = get_access_token_model()
SEARCH_LIMIT = 50


def _by(staff: User) -> dict:
    return {"staff": staff.display_name, "staff_id": staff.pk}


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason: the developer or person will read it."))
    return reason[:1000]


# --- Apps ------------------------------------------------------------------------------------


def search_apps(query: str):
    apps = Application.objects.select_related("user").order_by("name", "pk")
    query = query.strip()
    if query:
        apps = apps.filter(Q(name__icontains=query) | Q(client_id=query) | Q(user__email__iexact=query))
    return apps[:SEARCH_LIMIT]


def suspend_application(*, application: Application, staff: User, reason: str, request: HttpRequest) -> None:
    """Its tokens stop working at once (Application.is_usable) and its consent screen says why.

    Nothing is revoked: reinstating the app brings its users' access back as it was.
    """
    reason = _reason(reason)
    if not Application.objects.filter(pk=application.pk, suspended=False).update(
        suspended=True, suspended_reason=reason, suspended_at=timezone.now(), suspended_by=staff
    ):
        raise ValidationError(_("%(app)s is suspended already.") % {"app": application.name})
    rowcache.forget_row(application)  # its tokens are validated from the cache
    application.refresh_from_db()
    record(
        Kind.APP_SUSPENDED,
        user=application.user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        reason=reason,
        **_by(staff),
    )


def reinstate_application(*, application: Application, staff: User, request: HttpRequest) -> None:
    if not Application.objects.filter(pk=application.pk, suspended=True).update(
        suspended=False, suspended_reason="", suspended_at=None, suspended_by=None
    ):
        raise ValidationError(_("%(app)s is not suspended.") % {"app": application.name})
    rowcache.forget_row(application)  # its tokens are validated from the cache
    application.refresh_from_db()
    record(
        Kind.APP_REINSTATED,
        user=application.user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        **_by(staff),
    )


# --- People ----------------------------------------------------------------------------------


def search_people(query: str):
    query = query.strip()
    if not query:
        return User.objects.none()
    return User.objects.filter(Q(email__icontains=query) | Q(emailaddress__email__iexact=query)).distinct()[
        :SEARCH_LIMIT
    ]


def _not_yourself(person: User, staff: User, message: str) -> None:
    if person.pk == staff.pk:
        raise ValidationError(message)


def sign_out_everywhere(*, person: User, staff: User, request: HttpRequest) -> int:
    """End every session of `person` (allauth's usersessions); return how many."""
    _not_yourself(person, staff, _("You can't sign out your own account here."))
    count = end_sessions(user=person, sessions=list(UserSession.objects.filter(user=person)))
    record(Kind.SIGNED_OUT_EVERYWHERE, user=person, request=request, sessions=count, **_by(staff))
    return count


def lock_account(*, person: User, staff: User, reason: str, request: HttpRequest) -> None:
    """No sign-in (allauth refuses inactive accounts), no session, no working token, until unlocked."""
    _not_yourself(person, staff, _("You can't lock your own account here."))
    reason = _reason(reason)
    if not User.objects.filter(pk=person.pk, is_active=True).update(is_active=False):
        raise ValidationError(_("%(email)s is locked already.") % {"email": person.email})
    rowcache.forget_row(person)  # their tokens and keys are validated from the cache
    person.is_active = False
    count = end_sessions(user=person, sessions=list(UserSession.objects.filter(user=person)))
    record(Kind.ACCOUNT_LOCKED, user=person, request=request, reason=reason, sessions=count, **_by(staff))


def unlock_account(*, person: User, staff: User, request: HttpRequest) -> None:
    if not User.objects.filter(pk=person.pk, is_active=False).update(is_active=True):
        raise ValidationError(_("%(email)s is not locked.") % {"email": person.email})
    rowcache.forget_row(person)  # their tokens and keys are validated from the cache
    person.is_active = True
    record(Kind.ACCOUNT_UNLOCKED, user=person, request=request, **_by(staff))


def reset_second_factor(*, person: User, staff: User, note: str, request: HttpRequest) -> int:
    """Remove every authenticator (TOTP, passkeys, recovery codes) after staff checked who asks."""
    _not_yourself(person, staff, _("You can't reset the second factor of your own account here."))
    note = note.strip()
    if not note:
        raise ValidationError(_("Note how you checked their identity."))
    authenticators = Authenticator.objects.filter(user=person)
    types = sorted(set(authenticators.values_list("type", flat=True)))
    if not types:
        raise ValidationError(_("%(email)s has no second factor.") % {"email": person.email})
    count, _kinds = authenticators.delete()
    record(Kind.MFA_RESET, user=person, request=request, removed=types, note=note[:1000], **_by(staff))
    return count


# --- Overview --------------------------------------------------------------------------------

HOURLY = {
    Kind.SIGNED_IN: "signins",
    Kind.SIGN_IN_FAILED: "failed",
    Kind.TOKEN_ISSUED: "tokens",
}


@dataclass(frozen=True)
class Hour:
    start: datetime
    signins: int
    failed: int
    tokens: int


@dataclass(frozen=True)
class TopApp:
    client_id: str
    name: str
    pk: int | None
    tokens: int
    live_tokens: int


@dataclass(frozen=True)
class Overview:
    hours: list[Hour]
    totals: dict
    top_apps: list[TopApp]
    since: datetime


def overview(*, now: datetime | None = None, top: int = 5) -> Overview:
    """The last 24 hours in four aggregate queries, however much happened."""
    now = now or timezone.now()
    current = now.replace(minute=0, second=0, microsecond=0)
    since = current - timedelta(hours=23)
    events = AuditEvent.objects.filter(created__gte=since, kind__in=list(HOURLY)).order_by()
    counts = {
        (row["hour"], row["kind"]): row["n"]
        for row in events.annotate(hour=TruncHour("created")).values("hour", "kind").annotate(n=Count("id"))
    }
    hours = []
    for offset in range(24):
        start = since + timedelta(hours=offset)
        hours.append(Hour(start, *(counts.get((start, kind), 0) for kind in HOURLY)))
    totals = {name: sum(getattr(hour, name) for hour in hours) for name in HOURLY.values()}

    issued = (
        events.filter(kind=Kind.TOKEN_ISSUED)
        .annotate(client=KeyTextTransform("client_id", "data"))
        .values("client")
        .annotate(n=Count("id"))
        .order_by("-n", "client")[:top]
    )
    ranked = [(row["client"], row["n"]) for row in issued if row["client"]]
    client_ids = [client for client, _ in ranked]
    apps = {
        app.client_id: app
        for app in Application.objects.filter(client_id__in=client_ids).only("name", "client_id")
    }
    live = dict(
        AccessToken.objects.filter(application__client_id__in=client_ids, expires__gt=now)
        .values("application__client_id")
        .annotate(n=Count("id"))
        .values_list("application__client_id", "n")
    )
    top_apps = [
        TopApp(
            client_id=client,
            name=apps[client].name if client in apps else "(deleted app)",
            pk=apps[client].pk if client in apps else None,
            tokens=count,
            live_tokens=live.get(client, 0),
        )
        for client, count in ranked
    ]
    return Overview(hours=hours, totals=totals, top_apps=top_apps, since=since)
