""" "Explain this request": the checks /o/authorize/ makes, in the order it makes them, in words.

Only the developer's own apps are explained in full: DOT deliberately keeps the reason for a
redirect mismatch out of its error page, so that nobody can read another app's redirect URIs.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oauth2_provider.models import check_redirect_to_uri_allowed

from apps.core.scopes import CATALOGUE
from apps.developer.explain_resources import check_resources
from apps.oauth import pushed
from apps.oauth.models import Application
from apps.oauth.supported import (
    CLAIMS_NOT_SUPPORTED,
    CODE_CHALLENGE_METHODS,
    REPEATABLE,
    RESPONSE_MODES,
    RESPONSE_TYPES,
    S256_CHALLENGE,
    redirect_uri_registered,
)

PKCE_CHALLENGE_CHAR = re.compile(r"[A-Za-z0-9_-]")
# oauthlib refuses these repeated before anything else, with an error page (RFC 6749 §3.1).
OAUTHLIB_SINGLE_PARAMS = frozenset({"client_id", "response_type", "redirect_uri", "scope", "state"})
# The methods oauthlib knows; it refuses any other before looking at the scopes.
OAUTHLIB_CHALLENGE_METHODS = ("plain", "S256")
# Later reasons mean the URI matched more of a registered one before it differed.
REASON_ORDER = ["scheme", "hostname", "port", "path", "one URI has a query", "query"]


@dataclass
class Check:
    label: str
    status: str  # "pass", "fail" or "warn"
    detail: str = ""
    error: str = ""  # the OAuth error the client would receive
    fatal: bool = False  # shown at Gatehouse instead of redirected back to the app


@dataclass
class Explanation:
    url: str
    checks: list[Check] = field(default_factory=list)
    application: Application | None = None

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if check.status == "fail"), None)

    @property
    def verdict(self) -> str:
        failure = self.first_failure
        if failure is None:
            return _("This request passes every check: people will see the consent screen.")
        if failure.fatal:
            return _(
                "This request fails at “%(check)s”. Gatehouse shows an error page and cannot send "
                "people back to your app, because it cannot trust where to send them."
            ) % {"check": failure.label}
        return _(
            "This request fails at “%(check)s”. Gatehouse sends people back to your redirect URI "
            "with error=%(error)s."
        ) % {"check": failure.label, "error": failure.error}

    def add(self, *args, **kwargs) -> Check:
        check = Check(*args, **kwargs)
        self.checks.append(check)
        return check


def explain_authorize_url(url: str, *, applications: QuerySet, authorize_path: str) -> Explanation:
    """Say which check of the authorization endpoint `url` would fail, and why."""
    url = url.strip()
    explanation = Explanation(url)
    parts = urlsplit(url if "?" in url or "://" in url else "?" + url)
    if parts.path and parts.path != authorize_path:
        explanation.add(
            _("Endpoint"),
            "warn",
            _("This URL goes to %(path)s; Gatehouse's authorization endpoint is %(endpoint)s.")
            % {"path": parts.path, "endpoint": authorize_path},
        )
    params = parse_qs(parts.query, keep_blank_values=True)
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if fatal_repeats := [name for name in repeated if name in OAUTHLIB_SINGLE_PARAMS]:
        explanation.add(
            _("Parameters"),
            "fail",
            _repeated(fatal_repeats),
            error="invalid_request",
            fatal=True,
        )
        return explanation
    query = {name: values[0] for name, values in params.items()}

    application = _check_client(explanation, query, applications)
    if application is None:
        return explanation
    explanation.application = application
    is_pushed = query.get("request_uri", "").startswith(pushed.REQUEST_URI_PREFIX)
    if is_pushed:
        query = _check_pushed(explanation, query, application)
        if query is None:
            return explanation
        repeated = sorted(name for name, values in query.lists() if len(values) > 1)
        query = {name: values[0] for name, values in query.lists()}
    _check_redirect_uri(explanation, query, application)
    _check_response_type(explanation, query, application)
    # The endpoint's order: oauthlib asks for a code_challenge and a method it knows, then checks
    # the scopes; Gatehouse then insists on S256 and a well-formed challenge.
    pkce_sent = _check_pkce_sent(explanation, query)
    _check_scopes(explanation, query, application)
    if application.pushed_authorization_requests_required and not is_pushed:
        explanation.add(
            _("Pushed request"),
            "fail",
            _(
                "This app requires pushed authorization requests (its Settings say so): post these "
                "parameters to /o/par/ first, then send people to /o/authorize/ with only client_id and "
                "the request_uri it answers."
            ),
            error="invalid_request",
        )
    if application.dpop_required:  # RFC 9449: not part of this URL, but where the next step fails
        explanation.add(
            _("DPoP"),
            "warn",
            _(
                "This app requires DPoP (its Settings say so): when it exchanges the code, its token "
                "request must carry a DPoP proof with a nonce from Gatehouse, and it must call APIs with "
                "Authorization: DPoP and a fresh proof each time."
            ),
        )
    _check_gatehouse_rules(explanation, query, [name for name in repeated if name not in REPEATABLE])
    # RFC 8707 resources and the token format (apps.developer.explain_resources).
    check_resources(explanation, params.get("resource", []) if not is_pushed else [], application, url)
    if pkce_sent:
        _check_pkce_s256(explanation, query)
    if not query.get("state"):
        explanation.add(
            _("State"),
            "warn",
            _("No state. Send a random value and compare it on the callback: it stops CSRF."),
        )
    if "openid" in query.get("scope", "").split() and not query.get("nonce"):
        explanation.add(
            _("Nonce"),
            "warn",
            _("No nonce. Send one and check it in the ID token: it stops replayed tokens."),
        )
    return explanation


def _repeated(names: list[str]) -> str:
    return ngettext(
        "%(names)s appears more than once; each may appear once.",
        "%(names)s appear more than once; each may appear once.",
        len(names),
    ) % {"names": ", ".join(names)}


def _check_client(explanation: Explanation, query: dict, applications: QuerySet) -> Application | None:
    client_id = query.get("client_id", "")
    if not client_id:
        explanation.add(
            _("Client"), "fail", _("There is no client_id parameter."), error="invalid_request", fatal=True
        )
        return None
    application = applications.filter(client_id=client_id).first()
    if application is None:
        explanation.add(
            _("Client"),
            "fail",
            _(
                "None of your apps has the client ID %(client_id)s. Copy it from your app's page (it is not the secret)."
            )
            % {"client_id": client_id},
            error="invalid_client",
            fatal=True,
        )
        return None
    explanation.add(
        _("Client"),
        "pass",
        _("%(client_id)s is your app “%(app)s”.") % {"client_id": client_id, "app": application.name},
    )
    return application


def _check_pushed(explanation: Explanation, query: dict, application: Application):
    """RFC 9126 4: the pushed request stands in for the URL's parameters. Looked up, not spent."""
    row = pushed.look_up(request_uri=query["request_uri"], application=application)
    if row is None:
        explanation.add(
            _("Pushed request"),
            "fail",
            _(
                "No request your app pushed has this request_uri: it was never issued, another app pushed "
                "it, or it expired more than an hour ago. Push the request to /o/par/ again."
            ),
            error="invalid_request_uri",
            fatal=True,
        )
        return None
    now = timezone.now()
    if row.used_at:
        explanation.add(
            _("Pushed request"),
            "fail",
            _(
                "This request_uri was already used, %(ago)s: each works once, in the browser that first "
                "opens it. Push the request again for every sign-in."
            )
            % {"ago": _ago(now - row.used_at)},
            error="invalid_request_uri",
            fatal=True,
        )
        return None
    if row.expired:
        explanation.add(
            _("Pushed request"),
            "fail",
            _(
                "This request_uri expired %(ago)s: it is good for %(seconds)s seconds after the push, so "
                "send people to it right away."
            )
            % {"ago": _ago(now - row.expires), "seconds": pushed.LIFETIME_SECONDS},
            error="invalid_request_uri",
            fatal=True,
        )
        return None
    left = int((row.expires - now).total_seconds())
    explanation.add(
        _("Pushed request"),
        "pass",
        ngettext(
            "Your app pushed this request to /o/par/; it is unused and good for %(seconds)s more second, "
            "in one browser. Gatehouse checked it when it was pushed and checks it again below, with the "
            "pushed parameters.",
            "Your app pushed this request to /o/par/; it is unused and good for %(seconds)s more seconds, "
            "in one browser. Gatehouse checked it when it was pushed and checks it again below, with the "
            "pushed parameters.",
            left,
        )
        % {"seconds": left},
    )
    if ignored := sorted(set(query) - {"client_id", "request_uri"}):
        explanation.add(
            _("Pushed request"),
            "warn",
            ngettext(
                "%(names)s in this URL is ignored: only the pushed parameters count (RFC 9126 §4).",
                "%(names)s in this URL are ignored: only the pushed parameters count (RFC 9126 §4).",
                len(ignored),
            )
            % {"names": ", ".join(ignored)},
        )
    return pushed.Redemption(row.parameters).query(application.client_id)


def _ago(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return ngettext("%(n)s second ago", "%(n)s seconds ago", seconds) % {"n": seconds}
    return ngettext("%(n)s minute ago", "%(n)s minutes ago", seconds // 60) % {"n": seconds // 60}


def _check_redirect_uri(explanation: Explanation, query: dict, application: Application) -> None:
    registered = application.redirect_uris.split()
    uri = query.get("redirect_uri")
    if uri is None:
        explanation.add(
            _("Redirect URI"),
            "fail",
            _(
                "No redirect_uri. Gatehouse requires it (OpenID Connect Core §3.1.2.1), and the token "
                "endpoint asks for it again: send a registered one, such as %(uri)s."
            )
            % {"uri": registered[0]}
            if registered
            else _("No redirect_uri, and your app registers none: add one in its settings."),
            error="invalid_request",
            fatal=True,
        )
        return
    allowed, reasons = check_redirect_to_uri_allowed(uri, registered)
    if allowed and redirect_uri_registered(uri, registered):
        explanation.add(_("Redirect URI"), "pass", _("%(uri)s is registered.") % {"uri": uri})
        return
    if allowed:
        explanation.add(
            _("Redirect URI"),
            "fail",
            _(
                "%(uri)s differs from a registered URI only in letter case or encoding. Redirect URIs are "
                "compared character for character (OpenID Connect Core §3.1.2.1): send exactly what you "
                "registered."
            )
            % {"uri": uri},
            error="invalid_request",
            fatal=True,
        )
        return
    explanation.add(
        _("Redirect URI"), "fail", _mismatch(uri, reasons, registered), error="invalid_request", fatal=True
    )


def _mismatch(uri: str, reasons: list, registered: list[str]) -> str:
    if not registered:
        return _("Your app has no redirect URIs yet. Add one under Settings.")
    own = [reason for candidate, reason in reasons if candidate is None]
    if own:
        # Translators: the reason is DOT's, in English.
        return _("%(uri)s is refused: %(reason)s.") % {"uri": uri, "reason": own[0]}
    candidate, reason = max(reasons, key=lambda pair: _closeness(pair[1]))
    return _(
        "%(uri)s is not registered. Closest registered URI: %(candidate)s — the %(part)s differs "
        "(%(here)s here, %(there)s registered). Redirect URIs must match exactly."
    ) % {
        "uri": uri,
        "candidate": candidate,
        "part": COMPONENT_NAMES[_component(reason)](),
        "here": _describe(uri, reason),
        "there": _describe(candidate, reason),
    }


# The parts of a URI, as a sentence names them.
COMPONENT_NAMES = {
    "scheme": lambda: _("scheme"),
    "hostname": lambda: _("hostname"),
    "port": lambda: _("port"),
    "path": lambda: _("path"),
    "query": lambda: _("query"),
}


def _closeness(reason: str) -> int:
    return next((i for i, prefix in enumerate(REASON_ORDER) if reason.startswith(prefix)), -1)


def _component(reason: str) -> str:
    return "query" if "query" in reason else reason.split()[0]


def _describe(uri: str, reason: str) -> str:
    parts = urlsplit(uri)
    value = {
        "scheme": parts.scheme,
        "hostname": parts.hostname,
        "port": parts.port,
        "path": parts.path,
        "query": parts.query,
    }.get(_component(reason))
    return repr(value if value not in (None, "") else _("none"))


def _check_response_type(explanation: Explanation, query: dict, application: Application) -> None:
    response_type = query.get("response_type")
    if not response_type:
        explanation.add(
            _("Response type"),
            "fail",
            _("There is no response_type: send response_type=code."),
            error="invalid_request",
        )
        return
    if response_type not in RESPONSE_TYPES:
        # The implicit and hybrid response types exist, but no app may use them.
        explanation.add(
            _("Response type"),
            "fail",
            _(
                "response_type=%(value)s is not supported: Gatehouse only issues codes (implicit and "
                "hybrid flows leak tokens, RFC 9700 §2.1.2)."
            )
            % {"value": response_type},
            error="unsupported_response_type",
        )
        return
    if not application.allows_grant_type(Application.GRANT_AUTHORIZATION_CODE):
        explanation.add(
            _("Grant type"),
            "fail",
            _(
                "The authorization code grant is not enabled for this app. Enable it under Settings → Grant types."
            ),
            error="unauthorized_client",
        )
        return
    explanation.add(_("Grant type"), "pass", _("The authorization code grant is enabled for this app."))


def _check_pkce_sent(explanation: Explanation, query: dict) -> bool:
    """oauthlib's PKCE checks, made before the scopes: a challenge, with a method it knows."""
    if query.get("code_challenge") is None:
        explanation.add(
            "PKCE",
            "fail",
            _(
                "Missing PKCE: add code_challenge (the base64url SHA-256 of a random code_verifier) and "
                "code_challenge_method=S256. Gatehouse requires it from every app."
            ),
            error="invalid_request",
        )
        return False
    method = query.get("code_challenge_method")
    if method is not None and method not in OAUTHLIB_CHALLENGE_METHODS:
        explanation.add(
            "PKCE",
            "fail",
            _("code_challenge_method=%(method)s is not a PKCE method; Gatehouse only accepts S256.")
            % {"method": method},
            error="invalid_request",
        )
        return False
    return True


def _check_gatehouse_rules(explanation: Explanation, query: dict, repeated: list[str]) -> None:
    """What Gatehouse refuses after oauthlib accepted the request (OIDC Core §3.1.2.6)."""
    if repeated:
        explanation.add(_("Parameters"), "fail", _repeated(repeated), error="invalid_request")
    elif "request" in query:
        explanation.add(
            _("Request object"),
            "fail",
            _("Request objects are not supported."),
            error="request_not_supported",
        )
    elif "request_uri" in query:
        explanation.add(
            _("Request object"),
            "fail",
            _(
                "This request_uri is not one Gatehouse issued: request objects by reference are not "
                "supported. Send the parameters in the URL, or push them to /o/par/ and use the "
                "urn:ietf:params:oauth:request_uri:… it answers."
            ),
            error="request_uri_not_supported",
        )
    elif "claims" in query:
        explanation.add(_("Claims"), "fail", _(CLAIMS_NOT_SUPPORTED), error="invalid_request")
    elif query.get("response_mode", RESPONSE_MODES[0]) not in RESPONSE_MODES:
        explanation.add(
            _("Response mode"),
            "fail",
            _("response_mode=%(value)s is not supported: leave it out (query is the default).")
            % {"value": query["response_mode"]},
            error="invalid_request",
        )


def _check_pkce_s256(explanation: Explanation, query: dict) -> None:
    """Gatehouse's own PKCE rules, made after the scopes: S256, and a challenge shaped like one."""
    challenge, method = query["code_challenge"], query.get("code_challenge_method")
    if method not in CODE_CHALLENGE_METHODS:
        explanation.add(
            "PKCE",
            "fail",
            _("code_challenge_method is %(method)s; Gatehouse only accepts S256.") % {"method": method}
            if method
            else _("code_challenge_method is missing, which means plain; Gatehouse only accepts S256."),
            error="invalid_request",
        )
    elif not S256_CHALLENGE.fullmatch(challenge):
        explanation.add("PKCE", "fail", _challenge_problem(challenge), error="invalid_request")
    else:
        explanation.add("PKCE", "pass", _("An S256 code challenge is present."))


def _challenge_problem(challenge: str) -> str:
    rule = _(
        "An S256 code_challenge must be exactly 43 base64url characters (A-Z, a-z, 0-9, - and _, "
        "no = padding): the SHA-256 of your code_verifier, base64url-encoded (RFC 7636 §4.2)."
    )
    other = sorted({char for char in challenge if not PKCE_CHALLENGE_CHAR.fullmatch(char)})
    if other:
        return _("%(rule)s This one contains %(chars)s.") % {"rule": rule, "chars": " ".join(other)}
    return _("%(rule)s This one has %(count)s.") % {"rule": rule, "count": len(challenge)}


def _check_scopes(explanation: Explanation, query: dict, application: Application) -> None:
    requested = query.get("scope", "").split()
    if not requested:
        defaults = [name for name in application.allowed_scope_set if CATALOGUE[name].default]
        explanation.add(
            _("Scopes"),
            "warn",
            _("No scope: the app gets its defaults (%(scopes)s). Ask explicitly.")
            % {"scopes": ", ".join(defaults) or _("none")},
        )
        return
    unknown = [name for name in requested if name not in CATALOGUE]
    if unknown:
        explanation.add(
            _("Scopes"),
            "fail",
            _("Gatehouse has no scope named %(scopes)s.") % {"scopes": ", ".join(unknown)},
            error="invalid_scope",
        )
        return
    missing = [name for name in requested if name not in application.allowed_scope_set]
    if missing:
        explanation.add(
            _("Scopes"),
            "fail",
            ngettext(
                "%(scopes)s is not allowed for this app. Add it under Settings → Scopes, or stop asking for it.",
                "%(scopes)s are not allowed for this app. Add them under Settings → Scopes, or stop asking for them.",
                len(missing),
            )
            % {"scopes": ", ".join(missing)},
            error="invalid_scope",
        )
        return
    explanation.add(
        _("Scopes"), "pass", _("%(scopes)s: all allowed for this app.") % {"scopes": ", ".join(requested)}
    )
