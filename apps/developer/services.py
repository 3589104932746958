"""Developer-console work shared by its pages: registration, usage numbers, revocation, logos."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO

from allauth.account.utils import has_verified_email
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from PIL import Image, ImageOps

from apps.accounts.models import User
from apps.core.tokens import revoke_tokens
from apps.developer.models import TokenCount
from apps.developer.validators import check_redirect_uri, split_uris
from apps.oauth.consent import consent_context
from apps.oauth.models import Application, Consent
from apps.oauth.scopes import describe

LOGO_SIZE = 256


def check_can_register(*, user: User) -> None:
    """Raise PermissionDenied, with the reason, unless `user` may register one more app."""
    if not has_verified_email(user):
        raise PermissionDenied("Verify your e-mail address before you register an app.")
    limit = settings.GATEHOUSE_MAX_APPS_PER_USER
    if Application.objects.filter(user=user).count() >= limit:
        raise PermissionDenied(f"You have reached the limit of {limit} apps. Delete one you no longer use.")


def register_application(*, application: Application, owner: User) -> Application:
    """Save a new application for `owner`; its secrets are ClientSecret rows, made separately."""
    with transaction.atomic():
        # Lock the owner so two simultaneous registrations cannot both pass the cap.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        check_can_register(user=owner)
        application.user = owner
        # DOT's own column would otherwise hold a generated secret (or the hash of ""), which
        # nobody could ever see: every secret is a ClientSecret row.
        application.client_secret = ""
        application.hash_client_secret = False
        application.algorithm = Application.RS256_ALGORITHM
        application.save()
    return application


def add_redirect_uri(*, application: Application, uri: str) -> None:
    """Register one more redirect URI, under the same rules as the settings form."""
    uris = split_uris(application.redirect_uris)
    if uri in uris:
        return
    check_redirect_uri(uri, native=application.client_type == Application.CLIENT_PUBLIC)
    application.redirect_uris = " ".join([*uris, uri])
    application.full_clean()
    application.save(update_fields=["redirect_uris", "updated"])


def count_token_issued(*, application_id: int, when: datetime) -> None:
    """Add one to today's tally of tokens issued to the application (one UPDATE, usually)."""
    day = timezone.localdate(when)
    tally = TokenCount.objects.filter(application_id=application_id, day=day)
    if tally.update(count=F("count") + 1, last_issued=when):
        return
    try:
        with transaction.atomic():
            TokenCount.objects.create(application_id=application_id, day=day, count=1, last_issued=when)
    except IntegrityError:  # another token of the same app and day created the row first
        tally.update(count=F("count") + 1, last_issued=when)


class _Count(Func):
    """COUNT(...) as a plain function, so a correlated subquery needs no GROUP BY."""

    function = "COUNT"
    output_field = IntegerField()


class _CountDistinct(_Count):
    template = "%(function)s(DISTINCT %(expressions)s)"


def _count(queryset: QuerySet, field: str, *, distinct: bool = False) -> Coalesce:
    counter = _CountDistinct if distinct else _Count
    return Coalesce(Subquery(queryset.order_by().values(n=counter(F(field)))), Value(0))


def _live_tokens(now: datetime) -> tuple[QuerySet, QuerySet]:
    """Live access and refresh tokens of the outer user and app, as the connected-apps page sees them."""
    mine = {"user": OuterRef("user_id"), "application": OuterRef("application_id")}
    access = get_access_token_model().objects.filter(expires__gt=now, **mine)
    refresh = get_refresh_token_model().objects.filter(
        revoked__isnull=True, access_token__isnull=False, **mine
    )
    if idle := refresh_token_expire_timedelta():
        refresh = refresh.filter(access_token__expires__gt=now - idle)
    return access, refresh


def with_usage(applications: QuerySet) -> QuerySet:
    """Annotate `authorized_users`, `active_tokens` and `last_issued`, in the same single query.

    A user counts as authorized when the connected-apps page lists the app for them: a decision
    remembered and unexpired, or live tokens (a "this time only" consent counts only while those
    live). Users holding live tokens without any consent count too.
    """
    now = timezone.now()
    access, refresh = _live_tokens(now)
    remembered = ~Q(remember=Consent.Remember.ONCE) & (Q(expires__isnull=True) | Q(expires__gt=now))
    consents = Consent.objects.filter(application=OuterRef("pk")).filter(
        remembered | Exists(access) | Exists(refresh)
    )
    consented = Consent.objects.filter(user=OuterRef("user_id"), application=OuterRef("application_id"))
    live_access = get_access_token_model().objects.filter(
        application=OuterRef("pk"), expires__gt=now, user__isnull=False
    )
    live_refresh = get_refresh_token_model().objects.filter(
        application=OuterRef("pk"), revoked__isnull=True, access_token__isnull=False
    )
    if idle := refresh_token_expire_timedelta():
        live_refresh = live_refresh.filter(access_token__expires__gt=now - idle)
    access_only = live_access.exclude(Exists(consented))
    refresh_only = live_refresh.exclude(Exists(consented)).exclude(Exists(access))
    last_issued = (
        TokenCount.objects.filter(application=OuterRef("pk")).order_by("-day").values("last_issued")[:1]
    )
    return applications.annotate(
        authorized_users=_count(consents, "pk")
        + _count(access_only, "user_id", distinct=True)
        + _count(refresh_only, "user_id", distinct=True),
        active_tokens=_count(
            get_access_token_model().objects.filter(application=OuterRef("pk"), expires__gt=now), "pk"
        ),
        last_issued=Subquery(last_issued),
    )


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    total: int
    peak: int
    width: int
    height: int
    bar_width: float


def token_chart(*, application: Application, days: int = 30) -> Chart:
    """Tokens issued per day over the last `days` days, laid out as SVG bars (one query)."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    counts = dict(
        TokenCount.objects.filter(application=application, day__gte=start).values_list("day", "count")
    )
    width, height, gap = 600, 120, 4
    slot = width / days
    peak = max(counts.values(), default=0)
    bars = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        count = counts.get(day, 0)
        bar_height = round(count / peak * (height - 4), 1) if peak else 0
        # Days with tokens stay visible however small they are next to the peak.
        bar_height = max(bar_height, 2) if count else 0
        bars.append(
            Bar(day, count, round(offset * slot + gap / 2, 1), round(height - bar_height, 1), bar_height)
        )
    return Chart(bars, sum(counts.values()), peak, width, height, round(slot - gap, 1))


def _https(url: str) -> str:
    return url if url.startswith("https://") else ""


def consent_preview(data, *, application: Application | None, owner: User) -> dict:
    """What the consent screen would show for the (possibly unsaved) settings in `data`.

    The consent screen's own context builder, for a request of every allowed scope by a draft
    of the app; only https links are kept, as the settings form would insist.
    """
    requested = [scope.name for scope in describe(data.getlist("allowed_scopes"))]
    draft = Application(
        name=(data.get("name") or "").strip()[:80] or "Your app",
        description=(data.get("description") or "").strip()[:1000],
        homepage_url=_https(data.get("homepage_url") or ""),
        privacy_policy_url=_https(data.get("privacy_policy_url") or ""),
        terms_url=_https(data.get("terms_url") or ""),
        verified=bool(application and application.verified),
        user=owner,
        required_scopes=[s for s in data.getlist("required_scopes") if s in requested],
        scope_justifications={
            s: why for s in requested if (why := (data.get(f"why_{s}") or "").strip()[:120])
        },
    )
    if application is not None:
        draft.logo = application.logo.name
    redirects = split_uris(" ".join(data.getlist("redirect_uris")))
    account = {
        "name": "A person signing in",
        "email": owner.email,
        "avatar_url": "",
        "initial": owner.email[:1].upper(),
    }
    return consent_context(
        application=draft,
        requested=requested,
        consent=None,
        redirect_uri=redirects[0] if redirects else "",
        account=account,
    )


@dataclass(frozen=True)
class RevokeImpact:
    users: int
    access_tokens: int
    refresh_tokens: int


def revoke_impact(*, application: Application) -> RevokeImpact:
    """Who and what "Revoke all tokens" would sign out: people holding live tokens, and those tokens."""
    now = timezone.now()
    access = get_access_token_model().objects.filter(application=application, expires__gt=now)
    refresh = get_refresh_token_model().objects.filter(
        application=application, revoked__isnull=True, access_token__isnull=False
    )
    if idle := refresh_token_expire_timedelta():
        refresh = refresh.filter(access_token__expires__gt=now - idle)
    users = User.objects.filter(
        Exists(access.filter(user=OuterRef("pk"))) | Exists(refresh.filter(user=OuterRef("pk")))
    )
    return RevokeImpact(users.count(), access.count(), refresh.count())


def revoke_all_app_tokens(*, application: Application) -> int:
    """Revoke every token, code and device code of `application` through DOT; return how many tokens."""
    return revoke_tokens(applications=[application])


def delete_application(*, application: Application) -> int:
    """Revoke everything the app holds, delete it and its logo; return how many tokens were revoked."""
    logo = application.logo.name
    with transaction.atomic():
        revoked = revoke_all_app_tokens(application=application)
        application.delete()
    if logo:
        application.logo.storage.delete(logo)
    return revoked


def replace_logo(*, application: Application, previous: str) -> None:
    """Delete the file of a logo that an edit replaced or removed."""
    if previous and previous != application.logo.name:
        application.logo.storage.delete(previous)


def normalize_logo(upload) -> ContentFile:
    """Re-encode an uploaded logo as a 256x256 PNG: no metadata, no payload riding along."""
    upload.seek(0)
    try:
        with Image.open(upload) as source:
            image = ImageOps.exif_transpose(source).convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError("This image could not be read. Upload a PNG, JPEG, WebP or GIF.") from exc
    image = ImageOps.pad(image, (LOGO_SIZE, LOGO_SIZE), color=(0, 0, 0, 0))
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"logo-{secrets.token_hex(4)}.png")
