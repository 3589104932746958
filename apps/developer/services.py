"""Developer-console work shared by its pages: registration, usage numbers, revocation, logos."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from allauth.account.utils import has_verified_email
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.models import User
from apps.core import stamps
from apps.core.cache import incr_or_create
from apps.core.images import ImageRules, reencode_image
from apps.core.scopes import describe
from apps.developer.models import TokenCount
from apps.developer.validators import check_redirect_uri, split_uris
from apps.oauth.consent import consent_context
from apps.oauth.identity import changed_parts
from apps.oauth.models import STAFF_OWNED_FIELDS, Application
from apps.oauth.revocation import revoke_tokens
from apps.oauth.selectors import (
    connected_users_count,
    live_access_tokens,
    live_access_tokens_count,
    live_refresh_tokens,
    live_token_holders,
)

# What an app's logo may be, and what we keep: a 256x256 PNG, padded (transparent) to a square.
LOGO = ImageRules(
    formats=frozenset({"PNG", "JPEG", "WEBP", "GIF"}),
    max_bytes=1024 * 1024,
    min_side=64,
    max_side=4096,
    side=256,
    crop=False,
    name_prefix="logo-",
    messages={
        "file_too_large": "This file is %(size)s MB; upload a logo of 1 MB or less.",
        "invalid_image": "Upload a PNG, JPEG, WebP or GIF image (this one is %(format)s).",
        "too_big": "The logo is %(width)sx%(height)s pixels; keep each side at 4096 or less.",
        "too_small": "The logo is %(width)sx%(height)s pixels; make it at least 64x64.",
        "damaged": "This image could not be read. Upload a PNG, JPEG, WebP or GIF.",
    },
)


def check_can_register(*, user: User) -> None:
    """Raise PermissionDenied, with the reason, unless `user` may register one more app."""
    if not has_verified_email(user):
        raise PermissionDenied(_("Verify your email address before you register an app."))
    limit = settings.GATEHOUSE_MAX_APPS_PER_USER
    if Application.objects.filter(user=user).count() >= limit:
        raise PermissionDenied(
            ngettext(
                "You have reached the limit of %(limit)s app. Delete one you no longer use.",
                "You have reached the limit of %(limit)s apps. Delete one you no longer use.",
                limit,
            )
            % {"limit": limit}
        )


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


# A settings save must never write back a stale copy of these (the domain check runs in a worker
# meanwhile), nor of what only staff set in the admin.
NOT_THE_DEVELOPERS = frozenset(
    {*STAFF_OWNED_FIELDS, "skip_authorization", "is_resource_server", "resource_uri"}
)


def save_settings(*, application: Application) -> Application:
    """Save what the developer edits, leaving the staff-owned columns as the database has them."""
    fields = [
        field.name
        for field in Application._meta.concrete_fields
        if not field.primary_key and field.name not in NOT_THE_DEVELOPERS
    ]
    application.save(update_fields=fields)
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


# Each token adds one to a counter in the cache; counters reach TokenCount at most once a
# minute per app, so a busy machine client does not make every token a write to one hot row.
# The chart flushes before it reads, so it is exact; `last_issued` may lag by that minute.
COUNT_FLUSH_SECONDS = 60
_PENDING_SECONDS = 3 * 24 * 3600  # counters outlive a quiet weekend of the app


def _pending_key(application_id: int, day: date) -> str:
    return f"developer:token-count:{application_id}:{day.isoformat()}"


def _last_issued_key(application_id: int) -> str:
    return f"developer:token-last:{application_id}"


def count_token_issued(*, application_id: int, when: datetime) -> None:
    """Add one to the day's tally of tokens issued to the application (no SQL, usually)."""
    incr_or_create(
        _pending_key(application_id, timezone.localdate(when)),
        _PENDING_SECONDS,
        note=(_last_issued_key(application_id), when),
    )
    if stamps.first_in_period(f"developer:token-flushed:{application_id}", COUNT_FLUSH_SECONDS):
        flush_token_counts(application_id=application_id)


def flush_token_counts(*, application_id: int) -> None:
    """Move the application's pending counts (today's and the two days before) into TokenCount.

    Taking `n` is a DECR by `n`: two flushes at once cannot both take the same tokens, because
    the second one's DECR goes below zero and it puts them back. Counts are never lost or doubled.
    """
    today = timezone.localdate()
    keys = {
        _pending_key(application_id, today - timedelta(days=back)): today - timedelta(days=back)
        for back in range(3)
    }
    pending = cache.get_many([*keys, _last_issued_key(application_id)])
    last_issued = pending.pop(_last_issued_key(application_id), None) or timezone.now()
    for key, count in pending.items():
        if not count or count < 0:
            continue
        try:
            left = cache.decr(key, count)
        except ValueError:  # expired meanwhile: nothing to take
            continue
        if left < 0:  # another flush took them first
            cache.incr(key, count)
            continue
        _add_to_tally(application_id=application_id, day=keys[key], count=count, when=last_issued)


def _add_to_tally(*, application_id: int, day: date, count: int, when: datetime) -> None:
    tally = TokenCount.objects.filter(application_id=application_id, day=day)
    last = Greatest(F("last_issued"), Value(when))
    if tally.update(count=F("count") + count, last_issued=last):
        return
    try:
        with transaction.atomic():
            TokenCount.objects.create(application_id=application_id, day=day, count=count, last_issued=when)
    except IntegrityError:  # another flush created the row first
        tally.update(count=F("count") + count, last_issued=last)


def with_usage(applications: QuerySet) -> QuerySet:
    """Annotate `authorized_users`, `active_tokens` and `last_issued`, in the same single query.

    A user counts as authorized when the connected-apps page lists the app for them, or holds
    live tokens for it without any consent (apps.oauth.selectors.connected_users_count).
    """
    now = timezone.now()
    last_issued = (
        TokenCount.objects.filter(application=OuterRef("pk")).order_by("-day").values("last_issued")[:1]
    )
    return applications.annotate(
        authorized_users=connected_users_count(now=now),
        active_tokens=live_access_tokens_count(now=now),
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
    flush_token_counts(application_id=application.pk)
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
        name=(data.get("name") or "").strip()[:80] or _("Your app"),
        description=(data.get("description") or "").strip()[:1000],
        homepage_url=_https(data.get("homepage_url") or ""),
        privacy_policy_url=_https(data.get("privacy_policy_url") or ""),
        terms_url=_https(data.get("terms_url") or ""),
        user=owner,
        required_scopes=[s for s in data.getlist("required_scopes") if s in requested],
        scope_justifications={
            s: why for s in requested if (why := (data.get(f"why_{s}") or "").strip()[:120])
        },
    )
    if application is not None:
        draft.logo = application.logo.name
    public = data.get("client_type") == Application.CLIENT_PUBLIC
    # Only a redirect URI the form would accept: the preview must not promise a return to one it refuses.
    redirects = [uri for uri in split_uris(" ".join(data.getlist("redirect_uris"))) if _accepted(uri, public)]
    draft.redirect_uris = " ".join(redirects)
    # The preview shows the badge the saved change would leave: renaming loses it.
    if (
        application is not None
        and application.verified
        and not changed_parts(draft, application.verified_identity)
    ):
        draft.verification = Application.Verification.VERIFIED
    account = {
        "name": _("A person signing in"),
        "email": owner.email,
        "avatar_url": "",
        "initial": owner.email[:1].upper(),
    }
    context = consent_context(
        application=draft,
        requested=requested,
        consent=None,
        redirect_uri=redirects[0] if redirects else "",
        account=account,
    )
    # Client credentials alone: the app acts as itself and nobody is ever asked.
    grants = set(data.getlist("grant_types"))
    context["asks_people"] = not grants or bool(
        grants & {Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_DEVICE_CODE}
    )
    return context


def _accepted(uri: str, public: bool) -> bool:
    try:
        check_redirect_uri(uri, native=public)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class RevokeImpact:
    users: int
    access_tokens: int
    refresh_tokens: int


def revoke_impact(*, application: Application) -> RevokeImpact:
    """Who and what "Revoke all tokens" would sign out: people holding live tokens, and those tokens."""
    now = timezone.now()
    return RevokeImpact(
        live_token_holders(application=application, now=now).count(),
        live_access_tokens(now=now).filter(application=application).count(),
        live_refresh_tokens(now=now).filter(application=application).count(),
    )


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
    """Check an uploaded logo and re-encode it as a 256x256 PNG: no metadata, no payload riding along."""
    return reencode_image(upload, LOGO)
