"""Pushed authorization requests (RFC 9126): kept server-side, redeemed once, by their client.

The PAR endpoint (apps.oauth.endpoints.par) stores what a client pushed; the authorization
endpoint redeems it the first time a browser presents its `request_uri`. Redeeming spends the
row (a conditional UPDATE: one winner across nodes, RFC 9126 7.3), and binds the request to
that browser's session, so that signing in first, which may well take longer than the
`request_uri` lives, does not lose it. Another browser presenting the same URI gets nothing.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest, QueryDict
from django.utils import timezone

from apps.oauth.models import Application, PushedAuthorizationRequest

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# RFC 9126 2.2: short-lived. A minute to send the browser to /o/authorize/.
LIFETIME_SECONDS = 60
# Spent or expired rows stay this long, so the authorization endpoint and the console's
# explainer can say "used" or "expired" rather than "unknown"; pushes delete older ones.
KEPT_SECONDS = 3600
# A redeemed request stays bound to the browser that redeemed it as long as a consent screen
# may stay open (apps.oauth.consent.PENDING_TTL_SECONDS); a few at a time.
SESSION_KEY = "gatehouse_pushed_requests"
BOUND_TTL_SECONDS = 3600
BOUND_LIMIT = 10


def uri_hash(request_uri: str) -> str:
    return hashlib.sha256(request_uri.encode()).hexdigest()


def push_request(*, application: Application, parameters: dict[str, list[str]]) -> str:
    """Store an authorization request that passed the authorization endpoint's checks; return
    its `request_uri` (RFC 9126 2.2), which exists nowhere else but in the response."""
    now = timezone.now()
    PushedAuthorizationRequest.objects.filter(
        application=application, expires__lt=now - timedelta(seconds=KEPT_SECONDS)
    ).delete()
    request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(32)
    PushedAuthorizationRequest.objects.create(
        application=application,
        uri_hash=uri_hash(request_uri),
        parameters=parameters,
        expires=now + timedelta(seconds=LIFETIME_SECONDS),
    )
    return request_uri


@dataclass(frozen=True)
class Redemption:
    """What presenting a `request_uri` at the authorization endpoint came to."""

    parameters: dict[str, list[str]] | None
    problem: str = ""  # "unknown", "expired" or "used" when `parameters` is None

    def query(self, client_id: str) -> QueryDict:
        """The authorization request it stands for: the pushed parameters and the client_id,
        nothing else of the URL that carried it (RFC 9126 4)."""
        query = QueryDict(mutable=True)
        for name, values in (self.parameters or {}).items():
            query.setlist(name, values)
        query["client_id"] = client_id
        query._mutable = False
        return query


def look_up(*, request_uri: str, application: Application) -> PushedAuthorizationRequest | None:
    """The pushed request behind `request_uri`, if `application` pushed it; spends nothing."""
    return PushedAuthorizationRequest.objects.filter(
        uri_hash=uri_hash(request_uri), application=application
    ).first()


def redeem(request: HttpRequest, *, request_uri: str, client_id: str) -> Redemption:
    """The pushed request for this browser: already bound to its session, or spent now."""
    key = uri_hash(request_uri)
    bound = _bound(request).get(key)
    if bound is not None and bound["client_id"] == client_id:
        return Redemption(bound["parameters"])
    now = timezone.now()
    # The client's pk first: with a join in its WHERE, Django's UPDATE becomes `id IN (SELECT …)`,
    # and PostgreSQL would re-check only the outer row after waiting for a concurrent redemption,
    # so both would win. On the row's own columns, the loser finds used_at set and updates nothing.
    application_id = Application.objects.filter(client_id=client_id).values_list("pk", flat=True).first()
    rows = PushedAuthorizationRequest.objects.filter(uri_hash=key, application_id=application_id)
    if rows.filter(used_at=None, expires__gt=now).update(used_at=now) != 1:
        row = rows.only("used_at", "expires").first()
        problem = "unknown" if row is None else "used" if row.used_at else "expired"
        return Redemption(None, problem)
    parameters = rows.values_list("parameters", flat=True).get()
    bind(request, key=key, client_id=client_id, parameters=parameters)
    return Redemption(parameters)


def bind(request: HttpRequest, *, key: str, client_id: str, parameters: dict) -> None:
    """Keep a redeemed request for this browser (again, after a sign-out that emptied the session)."""
    bound = _bound(request)
    bound[key] = {"client_id": client_id, "parameters": parameters, "at": int(time.time())}
    newest = sorted(bound.items(), key=lambda item: item[1]["at"])[-BOUND_LIMIT:]
    request.session[SESSION_KEY] = dict(newest)


def forget(
    request: HttpRequest, *, key: str | None = None, client_id: str = "", code_challenge: str = ""
) -> None:
    """The request is answered (a code, or an error, went back to the client): it is spent for
    this browser too. By its key, or by the client and PKCE challenge a consent form carried."""
    bound = _bound(request)
    remaining = {
        k: v
        for k, v in bound.items()
        if k != key
        and not (v["client_id"] == client_id and code_challenge in v["parameters"].get("code_challenge", []))
    }
    if len(remaining) != len(bound):
        request.session[SESSION_KEY] = remaining


def _bound(request: HttpRequest) -> dict:
    now = int(time.time())
    return {
        key: value
        for key, value in request.session.get(SESSION_KEY, {}).items()
        if now - value["at"] < BOUND_TTL_SECONDS
    }
