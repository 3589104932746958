"""Consents and connected apps: what the pages and the REST API both do.

Every function is keyword-only and takes model instances. `request`, where accepted, only
gives the audit trail its IP address and user agent and the email its absolute links.
"""

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core.scopes import CATALOGUE, Scope, describe
from apps.oauth import backchannel
from apps.oauth.consent import previously_granted, required_scopes
from apps.oauth.models import Application, Consent
from apps.oauth.revocation import revoke_tokens
from apps.oauth.selectors import (
    applications_with_live_tokens,
    is_remembered,
    live_access_tokens,
    live_refresh_tokens,
    live_scopes,
)

log = logging.getLogger(__name__)

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
IDToken = get_id_token_model()
Grant = get_grant_model()
DeviceGrant = get_device_grant_model()


@dataclass(frozen=True)
class ConnectedApp:
    """One app the user let in, as the connected-apps page and the API show it."""

    consent: Consent
    application: Application
    scopes: list[Scope]
    required: frozenset[str]
    granted_at: datetime
    last_used: datetime | None
    remember: str
    remember_label: str
    expires: datetime | None

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def developer(self) -> str:
        return self.application.publisher

    @property
    def logo_url(self) -> str:
        return self.application.logo.url if self.application.logo else ""


def _connected_app(consent: Consent) -> ConnectedApp:
    last_used = max(filter(None, [consent.last_used, getattr(consent, "latest_token", None)]), default=None)
    return ConnectedApp(
        consent=consent,
        application=consent.application,
        scopes=describe(consent.scopes),
        required=frozenset(required_scopes(consent.application, consent.scopes)),
        granted_at=consent.created,
        last_used=last_used,
        remember=consent.remember,
        remember_label=consent.get_remember_display(),
        expires=consent.expires,
    )


_APP_FIELDS_SHOWN = (
    "client_id",
    "name",
    "logo",
    "verification",
    "user",
    "homepage_url",
    "description",
    "privacy_policy_url",
    "terms_url",
    "required_scopes",
)
# What the connected-apps pages and API show of each consent, its app and who publishes it
# (`Application.publisher`); the app row alone has some fifty columns, each compiled and loaded.
# A field left out here is read with a query of its own: the query-count tests would notice.
_SHOWN = (
    *("user", "application", "scope", "remember", "created", "last_used", "expires"),
    *(f"application__{name}" for name in _APP_FIELDS_SHOWN),
    "application__user__first_name",
    "application__user__last_name",
    "application__user__profile__user",
    "application__user__profile__display_name",
)


_prebuilt = threading.local()


def _consents_shown() -> QuerySet:
    """Every user's consents with what the connected-apps pages show, built once per thread:
    building it cost more CPU than running it, so it refers to nothing of a request (the
    latest-token subquery matches the consent's own user and app). Callers only ever `filter()`
    it (a clone); it is never evaluated itself. Per thread, because clones share the subquery,
    which compiling touches."""
    queryset = getattr(_prebuilt, "consents", None)
    if queryset is None:
        latest_token = (
            AccessToken.objects.filter(user=OuterRef("user_id"), application=OuterRef("application_id"))
            .order_by("-created")
            .values("created")[:1]
        )
        queryset = _prebuilt.consents = (
            Consent.objects.select_related("application", "application__user", "application__user__profile")
            .only(*_SHOWN)
            .annotate(latest_token=Subquery(latest_token))
            .order_by(Lower("application__name"), "pk")
        )
    return queryset


def _consents(user: User, **lookups) -> list[Consent]:
    """The consents of `user` the connected-apps page lists (`listed_consent`), with what it shows.

    A remembered decision is listed for that alone; a lapsed one ("this time only", or past its
    30 days) only while its tokens live, which one more query asks of them all at once, and
    only when there are any: most people's decisions are remembered.
    """
    now = timezone.now()
    consents = list(_consents_shown().filter(user=user, **lookups))
    lapsed = {c.application_id for c in consents if not is_remembered(c, now=now)}
    live = set(applications_with_live_tokens(user=user, applications=lapsed, now=now)) if lapsed else set()
    return [c for c in consents if c.application_id not in lapsed or c.application_id in live]


def list_connected_apps(*, user: User) -> list[ConnectedApp]:
    """Every app `user` granted access to, by name, in one query however many apps and tokens
    (two when some decisions have lapsed)."""
    return [_connected_app(c) for c in _consents(user)]


def get_connected_app(*, user: User, client_id: str) -> ConnectedApp:
    """One connected app of `user`; raises Http404 for anyone else's or an unknown client_id."""
    consents = _consents(user, application__client_id=client_id)
    if not consents:
        raise Http404("No such connected app.")
    return _connected_app(consents[0])


def get_consent(*, user: User, client_id: str) -> Consent:
    """The consent `user` gave the app `client_id`; raises Http404 (a 404 in pages and DRF alike)."""
    consent = (
        Consent.objects.select_related("application")
        .filter(user=user, application__client_id=client_id)
        .first()
    )
    if consent is None:
        raise Http404("No such connected app.")
    return consent


def record_consent(
    *,
    user: User,
    application: Application,
    scopes: Iterable[str],
    remember: str,
    request: HttpRequest | None = None,
) -> Consent:
    """Store an Allow on the consent screen: the granted scopes join what the app already had.

    The newest "remember" choice applies to the whole decision. A first grant emails the user.
    """
    scopes = list(scopes)
    remember = remember if remember in Consent.Remember.values else Consent.Remember.FOREVER
    with transaction.atomic():
        consent, created = Consent.objects.select_for_update().get_or_create(
            user=user, application=application, defaults={"scope": ""}
        )
        # Scopes that live tokens still carry: a "this time only" decision must not hide them.
        kept = previously_granted(None if created else consent) | live_scopes(
            user=user, application=application
        )
        consent.scope = " ".join(s.name for s in describe(kept | set(scopes)))
        consent.remember = remember
        consent.expires = Consent.expiry_for(remember)
        consent.last_used = timezone.now()
        consent.save()
    record(
        AuditEvent.Kind.CONSENT_GRANTED,
        user=user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        scopes=scopes,
        remember=remember,
        first_time=created,
    )
    if created:
        _email_new_app(user=user, application=application, scopes=scopes, request=request)
    return consent


def mark_consent_used(*, consent: Consent) -> None:
    """A request was answered from this stored decision without showing the screen."""
    consent.last_used = timezone.now()
    consent.save(update_fields=["last_used"])


def _email_new_app(
    *, user: User, application: Application, scopes: list[str], request: HttpRequest | None
) -> None:
    if not user.email:
        return
    # The app's own page, where this grant can be reviewed and revoked in one click.
    path = reverse("oauth:connected-app", args=[application.client_id])
    context = {
        "site_name": settings.SITE_NAME,
        "user": user,
        "application": application,
        "developer": application.publisher,
        "scopes": describe(scopes),
        "connected_apps_url": request.build_absolute_uri(path) if request is not None else path,
    }
    subject = (
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + render_to_string("oauth/email/app_connected_subject.txt", context).strip()
    )
    body = render_to_string("oauth/email/app_connected_message.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # a mail outage must not undo the user's decision
        log.exception("could not send the new-app email for consent of user %s", user.pk)


def revoke_access(*, user: User, application: Application, request: HttpRequest | None = None) -> int:
    """Revoke every access, refresh and ID token and unused code `user` gave `application`,
    through DOT, then forget the consent. Returns how many credentials were revoked."""
    with transaction.atomic():
        count = revoke_tokens(user=user, applications=[application])
        Consent.objects.filter(user=user, application=application).delete()
        # OIDC Back-Channel Logout: the app ends every session it has of the user.
        backchannel.access_ended(
            user=user, applications=[application], reason=backchannel.Reason.ACCESS_REVOKED, request=request
        )
    record(
        AuditEvent.Kind.ACCESS_REVOKED,
        user=user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        tokens=count,
    )
    return count


def revoke_token(*, access_token, user: User | None, request: HttpRequest | None = None) -> None:
    """Revoke one access token through DOT, its refresh token with it (RFC 7009 section 2.1);
    the security log of `user`, when there is one, records it."""
    application = access_token.application
    revoke_access_token(access_token)
    if user is not None:
        record(
            AuditEvent.Kind.TOKEN_REVOKED,
            user=user,
            request=request,
            application=application.name if application else "",
        )


def remove_scope(
    *, user: User, application: Application, scope: str, request: HttpRequest | None = None
) -> Consent | None:
    """Take one scope back: the consent narrows and live tokens carrying it are revoked.

    Required scopes can't be removed (revoke the app instead); removing the last scope
    revokes the app. Raises ValidationError, or Http404 when there is no such consent.
    """
    consent = get_consent(user=user, client_id=application.client_id)
    if scope not in consent.scopes:
        raise ValidationError(_("%(app)s does not have this permission.") % {"app": application.name})
    if scope in required_scopes(application, consent.scopes):
        raise ValidationError(
            _("%(app)s needs this permission to work. Revoke its access instead.") % {"app": application.name}
        )
    remaining = [s for s in consent.scopes if s != scope]
    if not remaining:
        revoke_access(user=user, application=application, request=request)
        return None
    with transaction.atomic():
        consent.scope = " ".join(remaining)
        consent.save(update_fields=["scope", "updated"])
        count = revoke_tokens(user=user, applications=[application], carrying=scope)
    record(
        AuditEvent.Kind.CONSENT_CHANGED,
        user=user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        removed_scope=scope,
        scopes=remaining,
        tokens=count,
    )
    return consent


@dataclass
class ActiveGrant:
    """What one application holds for a user: live token counts and the scopes they carry."""

    application: Application
    scope_set: set[str] = field(default_factory=set)
    access_tokens: int = 0
    refresh_tokens: int = 0
    first_issued: datetime | None = None
    expires: datetime | None = None

    @property
    def scopes(self) -> list[str]:
        return [name for name in CATALOGUE if name in self.scope_set] + sorted(
            self.scope_set - set(CATALOGUE)
        )

    def add(self, *, scope: str, created: datetime) -> None:
        self.scope_set.update(scope.split())
        self.first_issued = min(self.first_issued or created, created)


def active_grants(*, user: User) -> list[ActiveGrant]:
    """Live access and refresh tokens of `user`, counted per application, newest first (two queries)."""
    now = timezone.now()
    grants: dict[int, ActiveGrant] = {}
    access = live_access_tokens(now=now).filter(user=user, application__isnull=False)
    for token in access.select_related("application").only(
        "scope", "created", "expires", "application__name", "application__client_id"
    ):
        grant = grants.setdefault(token.application_id, ActiveGrant(application=token.application))
        grant.add(scope=token.scope, created=token.created)
        grant.access_tokens += 1
        grant.expires = max(grant.expires or token.expires, token.expires)
    refresh = live_refresh_tokens(now=now).filter(user=user)
    for token in refresh.select_related("application", "access_token").only(
        "created", "application__name", "application__client_id", "access_token__scope"
    ):
        grant = grants.setdefault(token.application_id, ActiveGrant(application=token.application))
        grant.add(scope=token.access_token.scope, created=token.created)
        grant.refresh_tokens += 1
    return sorted(grants.values(), key=lambda g: g.first_issued, reverse=True)


def applications_with_access(*, user: User) -> list[Application]:
    """Every app `user` consented to or that holds anything issued for `user`, by name: what
    "revoke all" takes back, first-party apps that skipped the consent screen included."""
    holders = Q(pk__in=Consent.objects.filter(user=user).values("application_id"))
    for credentials in (
        AccessToken.objects.filter(user=user),
        RefreshToken.objects.filter(user=user, revoked__isnull=True),
        IDToken.objects.filter(user=user),
        Grant.objects.filter(user=user),
    ):
        holders |= Q(pk__in=credentials.values("application_id"))
    holders |= Q(client_id__in=DeviceGrant.objects.filter(user=user).values("client_id"))
    return list(Application.objects.filter(holders).order_by(Lower("name"), "pk"))


def revoke_all_access(*, user: User, request: HttpRequest | None = None) -> int:
    """Revoke every app's access to `user` (each as `revoke_access`); returns how many apps."""
    applications = applications_with_access(user=user)
    for application in applications:
        revoke_access(user=user, application=application, request=request)
    return len(applications)
