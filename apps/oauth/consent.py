"""Policy of the consent screen: what it shows, what a decision grants, when to sign in again.

The authorization view (apps.oauth.endpoints.authorize.AuthorizeView) is DOT's, with these rules around it.
"""

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from apps.accounts.models import Profile
from apps.core.scopes import CATALOGUE, Kind, Scope, describe
from apps.oauth.models import Application, Consent
from apps.oauth.supported import is_loopback_uri
from apps.oauth.validators import SESSION_AUTH_TIME_KEY, GatehouseValidator, session_auth_time

# Epoch seconds of the session's last real sign-in: read here for max_age and prompt=login,
# and by whoever needs `auth_time` for the ID token (OIDC Core 2).
AUTH_TIME_SESSION_KEY = SESSION_AUTH_TIME_KEY
# Set when the authorization endpoint sends the user to sign in again for one request.
REAUTH_SESSION_KEY = "gatehouse_reauth_for"
# Authorization requests whose consent screen is showing: what each one really asked for.
PENDING_SESSION_KEY = "gatehouse_consent_requests"
PENDING_LIMIT = 10
PENDING_TTL_SECONDS = 3600

# The hidden fields of DOT's AllowForm that identify one authorization request (oauthlib
# leaves `nonce` out of plain OAuth requests, so it can't be part of the key).
REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
)

GROUP_TITLES = {
    Kind.IDENTITY: gettext_lazy("Know who you are"),
    Kind.READ: gettext_lazy("See your data"),
    Kind.CHANGE: gettext_lazy("Make changes for you"),
    Kind.SENSITIVE: gettext_lazy("Sensitive access"),
}


@receiver(user_logged_in, dispatch_uid="gatehouse-auth-time")
def remember_auth_time(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Record when this session really signed in (every login: allauth, social-auth, admin)."""
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_TIME_SESSION_KEY] = int(time.time())


class AuthorizationEndpointValidator(GatehouseValidator):
    """The validator as the authorization endpoint uses it.

    oauthlib asks the validator about `prompt=none` but gives it no session, so the view
    answers `login_required` / `consent_required` itself (OIDC Core 3.1.2.6) and these say yes.
    """

    def validate_silent_login(self, request) -> bool:
        return True

    def validate_silent_authorization(self, request) -> bool:
        return True


# --- Signing in again: prompt=login and max_age (OIDC Core 3.1.2.1) -------------------------


def request_digest(params: Mapping[str, Iterable[str]] | Iterable[tuple[str, object]]) -> str:
    items = params.items() if isinstance(params, Mapping) else params
    canonical = json.dumps(sorted((str(k), str(v)) for k, v in items))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_max_age(value: str | None) -> int | None:
    """`max_age` as seconds; ValueError when it is not a non-negative integer."""
    if value is None or value == "":
        return None
    seconds = int(value)
    if seconds < 0:
        raise ValueError("max_age must not be negative")
    return seconds


def needs_fresh_login(request: HttpRequest, *, prompt: set[str], max_age: int | None, digest: str) -> bool:
    """Whether this request must send the user to sign in (again) before anything else."""
    if "login" not in prompt and max_age is None:
        return False
    # The same clock as the ID token's auth_time, so max_age and auth_time always agree.
    authenticated = session_auth_time(request)
    auth_time = authenticated.timestamp() if authenticated else None
    asked = request.session.get(REAUTH_SESSION_KEY) or {}
    if auth_time is not None and asked.get("request") == digest and auth_time >= asked.get("at", 0):
        # They signed in after we sent them to, for this very request: that satisfies it,
        # even for max_age=0, which could otherwise never be met.
        return False
    if "login" in prompt or auth_time is None:
        return True
    return time.time() - auth_time > max_age


def mark_reauth_requested(request: HttpRequest, *, digest: str) -> None:
    request.session[REAUTH_SESSION_KEY] = {"request": digest, "at": int(time.time())}


def clear_reauth_request(request: HttpRequest) -> None:
    request.session.pop(REAUTH_SESSION_KEY, None)


# --- What the screen showed, so a tampered form can't grant more -----------------------------


def _pending_key(fields: Mapping[str, object]) -> str:
    return request_digest([(name, fields.get(name) or "") for name in REQUEST_FIELDS])


def remember_pending_request(request: HttpRequest, fields: Mapping[str, object], scopes: list[str]) -> None:
    """Keep the scopes a shown consent screen asked for, keyed by its request's hidden fields."""
    now = int(time.time())
    key, scope = _pending_key(fields), " ".join(scopes)
    shown = request.session.get(PENDING_SESSION_KEY, {}).get(key)
    if shown is not None and shown["scope"] == scope and now - shown["at"] < PENDING_TTL_SECONDS // 2:
        return  # the same screen again (a reload): no session write for what it already holds
    pending = {
        key: value
        for key, value in request.session.get(PENDING_SESSION_KEY, {}).items()
        if now - value["at"] < PENDING_TTL_SECONDS
    }
    pending[key] = {"scope": scope, "at": now}
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-PENDING_LIMIT:]
    request.session[PENDING_SESSION_KEY] = dict(newest)


def take_pending_request(request: HttpRequest, fields: Mapping[str, object]) -> list[str] | None:
    """The scopes the screen for these fields asked for (once), or None if it never showed."""
    pending = dict(request.session.get(PENDING_SESSION_KEY, {}))
    entry = pending.pop(_pending_key(fields), None)
    request.session[PENDING_SESSION_KEY] = pending
    if entry is None or int(time.time()) - entry["at"] >= PENDING_TTL_SECONDS:
        return None
    return entry["scope"].split()


# --- What a decision grants --------------------------------------------------------------------


def required_scopes(application: Application, requested: Iterable[str]) -> set[str]:
    """Scopes the user cannot untick: `openid` and what the app marks required, if requested."""
    return {"openid", *(application.required_scopes or [])} & set(requested)


def previously_granted(consent: Consent | None) -> set[str]:
    """Scopes a stored decision still grants ("this time only" and expired ones grant nothing)."""
    if consent is None or not consent.covers([]):
        return set()
    return set(consent.scopes)


def granted_scopes(
    requested: list[str],
    *,
    allowed: set[str],
    locked: set[str],
    ticked: Iterable[str],
) -> list[str]:
    """What an Allow grants: the requested scopes the app may have that are `locked` (required,
    already granted) or `ticked`.

    Only `requested` (what the screen showed, kept server-side) can be granted, so adding
    scopes to the form grants nothing, and leaving boxes out of it grants less, never more.
    """
    chosen = locked | set(ticked)
    return [s for s in requested if s in allowed and s in chosen]


# --- What the screen shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeChoice:
    scope: Scope
    required: bool
    justification: str


@dataclass(frozen=True)
class ScopeGroup:
    title: str
    kind: str
    choices: list[ScopeChoice]


@dataclass(frozen=True)
class ConsentScreen:
    already_granted: list[Scope]
    groups: list[ScopeGroup]
    optional: list[str] = field(default_factory=list)


def consent_screen(application: Application, requested: list[str], consent: Consent | None) -> ConsentScreen:
    """Requested scopes split into what the app already has and what it now asks, grouped by kind."""
    granted_before = previously_granted(consent)
    required = required_scopes(application, requested)
    justifications = application.scope_justifications or {}
    new = [s for s in describe(requested) if s.name not in granted_before]
    groups = []
    for kind, title in GROUP_TITLES.items():
        choices = [
            ScopeChoice(s, s.name in required, str(justifications.get(s.name, "")))
            for s in new
            if s.kind == kind
        ]
        if choices:
            groups.append(ScopeGroup(title, kind.value, choices))
    return ConsentScreen(
        already_granted=[s for s in describe(requested) if s.name in granted_before],
        groups=groups,
        optional=[s.name for s in new if s.name not in required],
    )


def redirect_warning(redirect_uri: str) -> dict | None:
    """Where the user will land, when that is not an ordinary https website (RFC 8252 7.1, 7.3)."""
    parts = urlsplit(redirect_uri)
    if is_loopback_uri(redirect_uri):
        return {"kind": "loopback", "uri": redirect_uri}
    if parts.scheme in ("http", "https"):
        return None
    return {"kind": "app", "uri": redirect_uri, "scheme": parts.scheme}


def signed_in_account(user) -> dict:
    """Who the screen says is signed in, so a person on a shared computer can switch."""
    profile = Profile.objects.for_user(user)
    return {
        "name": user.display_name,
        "email": user.email,
        "avatar_url": profile.avatar.url if profile.avatar else "",
        "initial": user.display_name[:1].upper(),
    }


def consent_context(
    *,
    application: Application,
    requested: list[str],
    consent: Consent | None,
    redirect_uri: str,
    account: dict,
) -> dict:
    """What templates/oauth/_consent.html shows: the real screen for an authorization request,
    and the developer console's preview of an app's unsaved settings alike."""
    screen = consent_screen(application, requested, consent)
    try:
        warning = redirect_warning(redirect_uri) if redirect_uri else None
        redirect_host = urlsplit(redirect_uri).hostname or ""
    except ValueError:  # a half-typed URI in the preview, such as http://[::1
        warning, redirect_host = None, ""
    homepage = urlsplit(application.homepage_url).hostname or ""
    return {
        "app": application,
        "initial": application.name[:1].upper(),
        "logo_url": application.logo.url if application.logo else "",
        "developer": application.publisher,
        "homepage_host": homepage.removeprefix("www."),
        "account": account,
        "screen": screen,
        # Sensitive scopes start unticked: the user opts in to those.
        "ticked": {s for s in screen.optional if CATALOGUE[s].kind != Kind.SENSITIVE},
        "remember_choices": Consent.Remember.choices,
        "warning": warning,
        "redirect_host": redirect_host,
    }


def scope_labels(names: Iterable[str]) -> list[str]:
    return [CATALOGUE[name].label for name in names if name in CATALOGUE]
