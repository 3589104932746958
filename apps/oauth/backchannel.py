"""OpenID Connect Back-Channel Logout 1.0: telling apps, server to server, that someone signed out.

Which apps hear of it:
- a browser session signs out (the portal's sign-out, RP-initiated logout, a session ended
  from the security page or by staff): every app with a back-channel logout URI whose ID token
  came from that session, i.e. whose authorization code, approved in it with `openid`, was
  exchanged (TokenFamily.sid). The logout token carries that `sid` and the `sub`;
- a person's access to an app ends (revoked on connected apps, the account deleted): that app,
  with a token naming only `sub`, which means every session of theirs there (2.4); an app that
  requires `sid` gets one token per session of theirs that it saw instead.

The request that triggers it only writes a BackchannelDelivery row and enqueues a task
(django-tasks, `manage.py db_worker`). The task signs a fresh logout token (2.4) with the ID
tokens' key, POSTs it (2.5), and on failure enqueues itself again with exponential backoff, up
to MAX_ATTEMPTS. The app's console page shows the last deliveries and failures.
"""

import http.client
import json
import logging
import time
import uuid
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task_backends
from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from apps.core import safe_fetch
from apps.oauth.models import Application, BackchannelDelivery, TokenFamily
from apps.oauth.supported import is_loopback_uri

log = logging.getLogger(__name__)

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# A logout token is used at once; two minutes cover clock skew between us and the app.
TOKEN_SECONDS = 120
TIMEOUT_SECONDS = 5
# Retry policy: 30 s, 1, 2, 4 ... minutes, at most an hour apart, eight attempts in all (about
# four hours). A refusal the app means (4xx other than 408 and 429) is not retried.
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600
RECENT_DELIVERIES = 5
# Finished deliveries are kept this long for the console (cleartokenfamilies deletes them).
KEPT_DAYS = 30


class Reason:
    SIGNED_OUT = "signed_out"
    ACCESS_REVOKED = "access_revoked"
    ACCOUNT_DELETED = "account_deleted"


REASON_LABELS = {
    Reason.SIGNED_OUT: _("Signed out"),
    Reason.ACCESS_REVOKED: _("Access revoked"),
    Reason.ACCOUNT_DELETED: _("Account deleted"),
}


class Refused(Exception):
    """A delivery that must not be made (an address we never connect to); not retried."""


# --- Registration -----------------------------------------------------------------------------


def uri_problem(uri: str) -> str | None:
    """Why `uri` cannot be a back-channel logout URI (2.2: absolute, no fragment; https, or
    plain http on a loopback address, as for redirect URIs), or None."""
    try:
        parts = urlsplit(uri)
        loopback = is_loopback_uri(uri)
    except ValueError:
        return str(_("Enter a valid URL."))
    if parts.fragment or "#" in uri:
        return str(_("The back-channel logout URI must not have a fragment (#…)."))
    if not parts.hostname or (parts.scheme != "https" and not loopback):
        return str(_("Use https (plain http only for 127.0.0.1 or [::1])."))
    return None


# --- Who is told ------------------------------------------------------------------------------


def _issuer(request) -> str:
    """Our issuer: the setting, else derived from the request (the worker has none)."""
    if oauth2_settings.OIDC_ISS_ENDPOINT:
        return oauth2_settings.OIDC_ISS_ENDPOINT
    from allauth.core import context

    for candidate in (request, context.request):
        if isinstance(candidate, HttpRequest) and ({"HTTP_HOST", "SERVER_NAME"} & set(candidate.META)):
            return oauth2_settings.oidc_issuer(candidate)
    return ""


def _create(rows: list[BackchannelDelivery]) -> list[BackchannelDelivery]:
    """Save the deliveries and queue their first attempt. The database queue's row commits
    with the change that caused it, so a worker never acts on a sign-out that rolled back."""
    if not rows:
        return []
    from apps.oauth.tasks import deliver_logout

    rows = BackchannelDelivery.objects.bulk_create(rows)
    for row in rows:
        deliver_logout.enqueue(row.pk)
    return rows


def session_signed_out(*, user, sid: str, request=None) -> list[BackchannelDelivery]:
    """Browser session `sid` of `user` ended: tell each app it signed `user` in to."""
    applications = list(
        Application.objects.filter(
            token_families__user=user, token_families__sid=sid, token_families__family__isnull=False
        )
        .exclude(backchannel_logout_uri="")
        .distinct()
    )
    if not applications:
        return []
    issuer = _issuer(request)
    told = set(
        BackchannelDelivery.objects.filter(sid=sid, sub=str(user.pk)).values_list("application_id", flat=True)
    )
    rows = [
        BackchannelDelivery(
            application=app, sub=str(user.pk), sid=sid, issuer=issuer, reason=Reason.SIGNED_OUT
        )
        for app in applications
        if app.pk not in told  # the current session ended from the sessions page signs out twice
    ]
    return _create(rows)


def access_ended(*, user, applications, reason: str, request=None) -> list[BackchannelDelivery]:
    """`user` no longer uses `applications`: every session of theirs there ends."""
    applications = [app for app in applications if app.backchannel_logout_uri]
    if not applications:
        return []
    issuer = _issuer(request)
    sids: dict[int, set[str]] = {app.pk: set() for app in applications}
    needing_sid = [app.pk for app in applications if app.backchannel_logout_session_required]
    if needing_sid:
        sessions = TokenFamily.objects.filter(
            user=user, application__in=needing_sid, family__isnull=False
        ).exclude(sid="")
        for app_id, sid in sessions.values_list("application_id", "sid").distinct():
            sids[app_id].add(sid)
    rows = []
    for app in applications:
        for sid in sorted(sids[app.pk]) if app.backchannel_logout_session_required else [""]:
            rows.append(
                BackchannelDelivery(application=app, sub=str(user.pk), sid=sid, issuer=issuer, reason=reason)
            )
    return _create(rows)


def account_deleted(user) -> dict:
    """Deletion step (registered before the oauth one, while tokens and consents still say
    which apps the person used)."""
    from apps.oauth.services import applications_with_access

    used = [app for app in applications_with_access(user=user) if app.user_id != user.pk]
    return {"logouts_queued": len(access_ended(user=user, applications=used, reason=Reason.ACCOUNT_DELETED))}


# --- The logout token and its delivery ---------------------------------------------------------


def logout_token(delivery: BackchannelDelivery) -> str:
    """A logout token (2.4): signed like our ID tokens, `typ` logout+jwt, never a `nonce`."""
    key = jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    now = int(time.time())
    claims = {
        "iss": delivery.issuer,
        "aud": delivery.application.client_id,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
        "sub": delivery.sub,
        "events": {LOGOUT_EVENT: {}},
    }
    if delivery.sid:
        claims["sid"] = delivery.sid
    header = {"alg": "RS256", "typ": "logout+jwt", "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def post_logout_token(uri: str, token: str) -> int:
    """POST the token (2.5) to the address resolved once, no redirect followed; the status."""
    parts = urlsplit(uri)
    if uri_problem(uri):
        raise Refused(uri_problem(uri))
    try:
        connection = safe_fetch.pinned_connection(parts, timeout=TIMEOUT_SECONDS)
    except safe_fetch.PrivateAddress as exc:
        raise Refused(str(exc)) from exc
    except safe_fetch.FetchError as exc:  # does not resolve (yet): worth another attempt
        raise OSError(str(exc)) from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=urlencode({"logout_token": token}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "Gatehouse-Backchannel-Logout/1",
                "Cache-Control": "no-store",
            },
        )
        response = connection.getresponse()
        response.read(4096)
        return response.status
    finally:
        connection.close()


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from the base, capped."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS))


def _schedule(delivery: BackchannelDelivery) -> None:
    from apps.oauth.tasks import deliver_logout

    if task_backends[deliver_logout.backend].supports_defer:
        deliver_logout.using(run_after=delivery.next_attempt).enqueue(delivery.pk)
    # Without defer (the inline backend of tests) the row records when it is due, and a test
    # runs the next attempt itself.


def attempt_delivery(delivery_id: int) -> str:
    """One attempt at a delivery; a failure schedules the next one (or gives up)."""
    delivery = BackchannelDelivery.objects.select_related("application").filter(pk=delivery_id).first()
    if delivery is None or not delivery.pending:
        return "gone"
    now = timezone.now()
    # Claim this attempt: of two workers holding the same delivery, one goes on.
    claimed = BackchannelDelivery.objects.filter(
        pk=delivery.pk, attempts=delivery.attempts, delivered_at=None, gave_up_at=None
    ).update(attempts=F("attempts") + 1, last_attempt=now)
    if not claimed:
        return "taken"
    delivery.attempts += 1
    delivery.last_attempt = now
    status, error, final = None, "", False
    try:
        status = post_logout_token(delivery.application.backchannel_logout_uri, logout_token(delivery))
    except Refused as exc:
        error, final = str(exc), True
    except (OSError, http.client.HTTPException) as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    if status in (200, 204):
        delivery.delivered_at, delivery.next_attempt, delivery.last_error = now, None, ""
    else:
        if status is not None:
            error = f"The app answered {status}."
            final = 400 <= status < 500 and status not in (408, 429)
        delivery.last_error = error[:500]
        if final or delivery.attempts >= MAX_ATTEMPTS:
            delivery.gave_up_at, delivery.next_attempt = now, None
            log.warning(
                "back-channel logout to client %s given up after %s attempts",
                delivery.application.client_id,
                delivery.attempts,
            )
        else:
            delivery.next_attempt = now + retry_delay(delivery.attempts)
    delivery.last_status = status
    delivery.save(update_fields=["last_status", "last_error", "delivered_at", "gave_up_at", "next_attempt"])
    if delivery.next_attempt is not None:
        _schedule(delivery)
    return "delivered" if delivery.delivered_at else ("gave_up" if delivery.gave_up_at else "retrying")


# --- The console -------------------------------------------------------------------------------


def delivery_summary(application: Application) -> dict:
    """The app's recent deliveries and its counts: two queries however many there are."""
    counts = BackchannelDelivery.objects.filter(application=application).aggregate(
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        failed=Count("pk", filter=Q(gave_up_at__isnull=False)),
        pending=Count("pk", filter=Q(delivered_at__isnull=True, gave_up_at__isnull=True)),
    )
    recent = list(
        BackchannelDelivery.objects.filter(application=application).order_by("-created", "-pk")[
            :RECENT_DELIVERIES
        ]
    )
    for delivery in recent:
        delivery.reason_label = REASON_LABELS.get(delivery.reason, delivery.reason)
    return {"counts": counts, "recent": recent}
