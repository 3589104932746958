"""The OAuth playground's client side: requests-oauthlib driving this same server over HTTP.

It behaves like a developer's own client would: it builds the authorization URL with PKCE,
swaps the code at the token endpoint, verifies the ID token against the published JWKS, calls
the API, refreshes and revokes. The client secret a developer pastes is used for one request
and never stored; tokens live in the session only encrypted, and only as long as the run.
"""

import base64
import json
import logging
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests
from cryptography.fernet import Fernet, InvalidToken
from django.contrib.sessions.backends.base import SessionBase
from django.urls import Resolver404, resolve, reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient, is_secure_transport
from requests_oauthlib import OAuth2Session

from apps.oauth.models import Application

# requests-oauthlib logs request bodies, headers and tokens at DEBUG: a pasted client secret
# or a live token must never reach the logs, whatever level an operator sets.
logging.getLogger("requests_oauthlib").setLevel(logging.WARNING)

SESSION_KEY = "developer_playground"
TIMEOUT = 10
SECRET_FIELDS = {"access_token", "refresh_token", "id_token", "code", "client_secret"}
API_PATH = "/api/me/"

CLAIMS = {
    "iss": gettext_lazy("Issuer: the server that signed this token"),
    "sub": gettext_lazy("Subject: this person's stable id for your app"),
    "aud": gettext_lazy("Audience: must be your client ID"),
    "exp": gettext_lazy("Expires"),
    "iat": gettext_lazy("Issued at"),
    "auth_time": gettext_lazy("When the person signed in"),
    "nonce": gettext_lazy("Must equal the nonce your app sent"),
    "at_hash": gettext_lazy("Half-hash binding this ID token to the access token"),
    "jti": gettext_lazy("Unique id of this token"),
    "name": gettext_lazy("Name"),
    "preferred_username": gettext_lazy("Username"),
    "email": gettext_lazy("Email address"),
    "email_verified": gettext_lazy("Whether Gatehouse verified the email address"),
    "picture": gettext_lazy("Profile picture"),
    "website": gettext_lazy("Website"),
}
TIME_CLAIMS = {"exp", "iat", "auth_time", "nbf"}
AUTHORIZE_PARAMS = {
    "response_type": gettext_lazy("code: ask for a one-time authorization code"),
    "client_id": gettext_lazy("Which app is asking"),
    "redirect_uri": gettext_lazy("Where to send the answer; must match a registered URI exactly"),
    "scope": gettext_lazy("What the app asks to do"),
    "state": gettext_lazy("Random; the callback must bring it back unchanged (CSRF protection)"),
    "code_challenge": gettext_lazy("BASE64URL(SHA-256(code_verifier)); the verifier itself stays in the app"),
    "code_challenge_method": gettext_lazy("S256, the only method Gatehouse accepts"),
    "nonce": gettext_lazy("Random; comes back inside the ID token (replay protection)"),
    "prompt": gettext_lazy(
        "consent: show the consent screen even when the person already approved. The "
        "playground always shows it; your app usually leaves prompt out"
    ),
}


@dataclass(frozen=True)
class Endpoints:
    """Where the playground reaches this server: the request's own host, never a configured one."""

    authorize: str
    token: str
    par: str
    revoke: str
    jwks: str
    api: str
    api_is_userinfo: bool
    callback: str

    @classmethod
    def for_request(cls, request) -> "Endpoints":
        absolute = request.build_absolute_uri
        try:
            resolve(API_PATH)
            api, is_userinfo = absolute(API_PATH), False
        except Resolver404:  # the REST API is not mounted: OIDC userinfo answers "who am I" too
            api, is_userinfo = absolute(reverse("oauth2_provider:user-info")), True
        return cls(
            authorize=absolute(reverse("oauth2_provider:authorize")),
            token=absolute(reverse("oauth2_provider:token")),
            par=absolute(reverse("oauth2_provider:pushed-authorization-request")),
            revoke=absolute(reverse("oauth2_provider:revoke-token")),
            jwks=absolute(reverse("oauth2_provider:jwks-info")),
            api=api,
            api_is_userinfo=is_userinfo,
            callback=absolute(reverse("developer:playground-callback")),
        )

    @property
    def secure(self) -> bool:
        """requests-oauthlib, like any careful client, refuses to send credentials over plain http."""
        return is_secure_transport(self.token)


@dataclass
class Step:
    """One numbered step of a run, as shown on the page (never holding a usable secret)."""

    kind: str
    title: str
    ok: bool = True
    summary: str = ""
    request: str = ""
    status: int | None = None
    body: str = ""
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Run:
    app: int
    client_id: str
    scope: str
    state: str
    nonce: str
    authorize_url: str
    steps: list[Step] = field(default_factory=list)
    vault: str = ""

    @property
    def stage(self) -> str:
        """What the developer can do next: approve, exchange, use, or done."""
        kinds = {step.kind for step in self.steps}
        if any(s.kind == "par" and not s.ok for s in self.steps):
            return "push_failed"
        if "revoke" in kinds:
            return "done"
        if "token" in kinds and any(s.kind == "token" and s.ok for s in self.steps):
            return "tokens"
        if any(s.kind == "callback" and s.ok for s in self.steps):
            return "code"
        return "authorize"


# --- session storage --------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = salted_hmac("gatehouse.developer.playground", "vault", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def open_vault(run: Run) -> dict:
    """The run's code verifier, code and tokens (encrypted at rest in the session)."""
    if not run.vault:
        return {}
    try:
        return json.loads(_fernet().decrypt(run.vault.encode()))
    except InvalidToken:  # SECRET_KEY rotated mid-run
        return {}


def seal_vault(run: Run, values: dict) -> None:
    run.vault = _fernet().encrypt(json.dumps(values).encode()).decode()


def load_run(session: SessionBase, application: Application | None = None) -> Run | None:
    data = session.get(SESSION_KEY)
    if not data:
        return None
    steps = [
        Step(
            **{**step, "rows": [tuple(r) for r in step["rows"]], "checks": [tuple(c) for c in step["checks"]]}
        )
        for step in data["steps"]
    ]
    run = Run(**{**data, "steps": steps})
    if application is not None and run.app != application.pk:
        return None
    return run


def save_run(session: SessionBase, run: Run | None) -> None:
    if run is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = asdict(run)


# --- display helpers --------------------------------------------------------------------------


def mask(value: str) -> str:
    """Enough of a credential to recognise it, not enough to use it."""
    value = str(value)
    if len(value) <= 12:
        return "•" * len(value)
    length = ngettext("%(count)s character", "%(count)s characters", len(value)) % {"count": len(value)}
    return f"{value[:4]}…{value[-4:]} ({length})"


def masked_json(data: dict) -> str:
    masked = {k: mask(v) if k in SECRET_FIELDS else v for k, v in data.items()}
    return json.dumps(masked, indent=2, ensure_ascii=False)


def _response_body(response: requests.Response) -> str:
    try:
        return masked_json(response.json()) if isinstance(response.json(), dict) else response.text[:2000]
    except ValueError:
        return response.text[:2000]


def _basic_auth(client_id: str, secret: str) -> requests.auth.HTTPBasicAuth | None:
    """client_secret_basic, form-encoded first as RFC 6749 §2.3.1 asks."""
    if not secret:
        return None
    return requests.auth.HTTPBasicAuth(quote(client_id, safe=""), quote(secret, safe=""))


def _client_kwargs(application: Application, secret: str) -> dict:
    """Confidential clients authenticate with Basic auth; public ones just name themselves."""
    if application.client_type == Application.CLIENT_CONFIDENTIAL:
        return {"auth": _basic_auth(application.client_id, secret)}
    return {"auth": None, "include_client_id": True}


def _session(application: Application, endpoints: Endpoints, run: Run, token: dict | None = None):
    session = OAuth2Session(
        client=WebApplicationClient(application.client_id),
        redirect_uri=endpoints.callback,
        scope=run.scope.split(),
        state=run.state,
        token=token,
    )
    captured: list[requests.Response] = []

    def capture(response):
        captured.append(response)
        return response

    session.register_compliance_hook("access_token_response", capture)
    session.register_compliance_hook("refresh_token_response", capture)
    return session, captured


# --- the steps --------------------------------------------------------------------------------


def start_run(
    *, application: Application, endpoints: Endpoints, scope: str, par: bool = False, secret: str = ""
) -> Run:
    """Step 1: an authorization URL with PKCE (S256), a fresh state and an OIDC nonce; with
    `par`, its parameters pushed to the PAR endpoint first (RFC 9126) and a short URL instead."""
    client = WebApplicationClient(application.client_id)
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
    session = OAuth2Session(client=client, redirect_uri=endpoints.callback, scope=scope.split(), state=state)
    # prompt=consent: the playground demonstrates the consent step, so a decision the developer
    # stored on an earlier run must not skip it.
    url, _state = session.authorization_url(
        endpoints.authorize,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256",
        prompt="consent",
    )
    run = Run(application.pk, application.client_id, scope, state, nonce, url)
    if par:
        run.authorize_url = push_request(run=run, application=application, endpoints=endpoints, secret=secret)
        seal_vault(run, {"verifier": verifier})
        return run
    run.steps.append(
        Step(
            "authorize",
            _("Authorization request"),
            summary=_(
                "Your app sends people to this URL. It carries a PKCE challenge; the verifier stays secret."
            ),
            request=f"GET {url}",
            rows=[
                (name, value, str(AUTHORIZE_PARAMS.get(name, "")))
                for name, value in parse_qsl(urlsplit(url).query)
            ],
        )
    )
    seal_vault(run, {"verifier": verifier})
    return run


def push_request(*, run: Run, application: Application, endpoints: Endpoints, secret: str) -> str:
    """The authorization request's parameters posted to /o/par/, authenticated as at the token
    endpoint; the short authorization URL that stands for them, or "" when the push failed."""
    params = parse_qsl(urlsplit(run.authorize_url).query)
    step = Step(
        "par",
        _("Pushed authorization request"),
        request=f"POST {endpoints.par}",
        rows=[(name, value, str(AUTHORIZE_PARAMS.get(name, ""))) for name, value in params],
    )
    run.steps.append(step)
    try:
        response = requests.post(
            endpoints.par, data=params, auth=_client_kwargs(application, secret)["auth"], timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        _fail(step, exc, [])
        return ""
    step.status, step.body = response.status_code, _response_body(response)
    try:
        request_uri = response.json().get("request_uri", "") if response.status_code == 201 else ""
    except (ValueError, AttributeError):
        request_uri = ""
    if not request_uri:
        step.ok = False
        step.summary = _("The PAR endpoint refused the request: a real client must stop here.")
        return ""
    step.summary = _(
        "Your app's server posts the request, with its client authentication, before sending anyone "
        "anywhere. The answer is a single-use request_uri, good for a minute."
    )
    url = (
        f"{endpoints.authorize}?{urlencode({'client_id': application.client_id, 'request_uri': request_uri})}"
    )
    run.steps.append(
        Step(
            "authorize",
            _("Authorization request"),
            summary=_(
                "Your app sends people to this short URL: the pushed parameters never pass through "
                "their browser."
            ),
            request=f"GET {url}",
            rows=[
                ("client_id", application.client_id, str(AUTHORIZE_PARAMS["client_id"])),
                ("request_uri", request_uri, _("Stands for the pushed request; works once")),
            ],
        )
    )
    return url


def record_callback(*, run: Run, query: dict, issuer: str) -> None:
    """Step 2: what came back to the redirect URI, checked as a careful client checks it."""
    vault = open_vault(run)
    state_ok = secrets.compare_digest(query.get("state", ""), run.state)
    rows = [(name, mask(value) if name == "code" else value, "") for name, value in query.items()]
    checks = [(_("state is the one this run sent (CSRF protection)"), state_ok)]
    if "iss" in query:
        checks.append((_("iss names this server (RFC 9207 mix-up protection)"), query["iss"] == issuer))
    error = query.get("error")
    ok = state_ok and not error and bool(query.get("code")) and all(passed for _, passed in checks)
    if error:
        summary = _("The consent screen answered error=%(error)s. %(description)s") % {
            "error": error,
            "description": query.get("error_description", ""),
        }
    elif ok:
        summary = _(
            "You approved on the consent screen. Gatehouse sent back a one-time code, valid for minutes."
        )
        vault["code"] = query["code"]
    else:
        summary = _("The response failed a check: a real client must stop here.")
    run.steps.append(
        Step("callback", _("Consent screen and callback"), ok=ok, summary=summary, rows=rows, checks=checks)
    )
    seal_vault(run, vault)


def exchange_code(*, run: Run, application: Application, endpoints: Endpoints, secret: str) -> None:
    """Step 3: code + PKCE verifier for tokens; then step 4, the ID token verified and decoded."""
    vault = open_vault(run)
    session, captured = _session(application, endpoints, run)
    step = Step(
        "token", _("Token response"), request=f"POST {endpoints.token}  grant_type=authorization_code"
    )
    code, verifier = vault.pop("code", ""), vault.get("verifier", "")

    def fetch():
        return session.fetch_token(
            endpoints.token,
            code=code,
            code_verifier=verifier,
            timeout=TIMEOUT,
            **_client_kwargs(application, secret),
        )

    try:
        token = _granted(fetch, step, run.scope)
    except (OAuth2Error, requests.RequestException, ValueError) as exc:
        _fail(step, exc, captured)
    else:
        step.status, step.body = captured[-1].status_code, _response_body(captured[-1])
        step.summary = _(
            "The server's answer, tokens masked. The code is now spent: a second exchange would fail."
        )
        vault.update({k: token[k] for k in ("access_token", "refresh_token", "id_token") if k in token})
    run.steps.append(step)
    if vault.get("id_token"):
        run.steps.append(decode_id_token(vault["id_token"], endpoints=endpoints, run=run))
    seal_vault(run, vault)


def decode_id_token(id_token: str, *, endpoints: Endpoints, run: Run) -> Step:
    """Verify the ID token's signature with the server's JWKS and check its claims (OIDC Core §3.1.3.7)."""
    step = Step("id_token", _("ID token claims"), request=f"GET {endpoints.jwks}")
    try:
        keys = jwk.JWKSet.from_json(requests.get(endpoints.jwks, timeout=TIMEOUT).text)
        verified = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"], expected_type="JWS")
        claims, signature_ok = json.loads(verified.claims), True
    except (requests.RequestException, JWException, ValueError) as exc:
        claims, signature_ok = _unverified_claims(id_token), False
        step.summary = _("Could not verify the signature: %(error)s") % {"error": exc}
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    step.checks = [
        (_("signature verified with a key from the JWKS endpoint"), signature_ok),
        (_("aud contains your client ID"), run.client_id in audiences),
        (_("nonce equals the one this run sent"), claims.get("nonce") == run.nonce),
        (_("not expired"), claims.get("exp", 0) > datetime.now(UTC).timestamp()),
    ]
    step.ok = all(passed for _, passed in step.checks)
    step.summary = step.summary or _(
        "Who signed in, as your app learns it. Decoded after checking the signature."
    )
    order = list(CLAIMS)
    ordered = sorted(
        claims.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
    )
    step.rows = [(name, _claim_value(name, value), str(CLAIMS.get(name, ""))) for name, value in ordered]
    return step


def call_api(*, run: Run, application: Application, endpoints: Endpoints) -> None:
    """Step 5: the access token as a bearer token (RFC 6750)."""
    token = _bearer(run)
    session, _captured = _session(application, endpoints, run, token=token)
    title = _("Call to %(path)s") % {"path": "/o/userinfo/" if endpoints.api_is_userinfo else "/api/me/"}
    step = Step(
        "api", title, request=f"GET {endpoints.api}  Authorization: Bearer {mask(token['access_token'])}"
    )
    try:
        response = session.get(endpoints.api, timeout=TIMEOUT)
    except (OAuth2Error, requests.RequestException, ValueError) as exc:
        _fail(step, exc, [])
    else:
        step.status, step.body, step.ok = response.status_code, _response_body(response), response.ok
        step.summary = (
            _("The API answered with the signed-in person.")
            if response.ok
            else _("The API refused the token.")
        )
    run.steps.append(step)


def refresh(*, run: Run, application: Application, endpoints: Endpoints, secret: str) -> None:
    """Step 6: a refresh, which rotates the refresh token (the old one stops working)."""
    vault = open_vault(run)
    session, captured = _session(application, endpoints, run)
    step = Step("refresh", _("Refresh"), request=f"POST {endpoints.token}  grant_type=refresh_token")
    kwargs = _client_kwargs(application, secret)
    if kwargs.pop("include_client_id", False):
        kwargs["client_id"] = application.client_id

    def fetch():
        return session.refresh_token(
            endpoints.token, refresh_token=vault.get("refresh_token"), timeout=TIMEOUT, **kwargs
        )

    try:
        token = _granted(fetch, step, run.scope)
    except (OAuth2Error, requests.RequestException, ValueError) as exc:
        _fail(step, exc, captured)
    else:
        step.status, step.body = captured[-1].status_code, _response_body(captured[-1])
        rotated = token.get("refresh_token") != vault.get("refresh_token")
        step.checks.append((_("a new refresh token replaced the old one (rotation)"), rotated))
        step.ok = rotated
        step.summary = _(
            "A fresh access token. Reusing the old refresh token now would revoke the whole family."
        )
        vault.update({k: token[k] for k in ("access_token", "refresh_token", "id_token") if k in token})
    run.steps.append(step)
    seal_vault(run, vault)


def revoke(*, run: Run, application: Application, endpoints: Endpoints, secret: str) -> None:
    """Step 7: revoke the refresh token (RFC 7009), then show the access token no longer works."""
    vault = open_vault(run)
    client = WebApplicationClient(application.client_id)
    url, headers, body = client.prepare_token_revocation_request(
        endpoints.revoke, vault.get("refresh_token", ""), token_type_hint="refresh_token"
    )
    kwargs = _client_kwargs(application, secret)
    data = dict(parse_qsl(body))
    if kwargs.get("include_client_id"):
        data["client_id"] = application.client_id
    step = Step("revoke", _("Revocation"), request=f"POST {url}  token_type_hint=refresh_token")
    try:
        response = requests.post(url, data=data, headers=headers, auth=kwargs["auth"], timeout=TIMEOUT)
        after = requests.get(
            endpoints.api,
            headers={"Authorization": f"Bearer {vault.get('access_token', '')}"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        _fail(step, exc, [])
    else:
        step.status, step.body = (
            response.status_code,
            response.text[:2000] or _("(empty body, as RFC 7009 says)"),
        )
        step.checks = [
            (_("the revocation endpoint answered 200"), response.status_code == 200),
            (
                _("the old access token is now refused (%(status)s)") % {"status": after.status_code},
                after.status_code == 401,
            ),
        ]
        step.ok = all(passed for _, passed in step.checks)
        step.summary = _("Revoking the refresh token also revoked the access token issued with it.")
    run.steps.append(step)
    if step.ok:
        seal_vault(run, {})


def _granted(call, step: Step, requested: str) -> dict:
    """Run a token request; a narrower grant (the person unticked scopes) is a result, not a crash.

    oauthlib raises its scope-change Warning carrying the token unless OAUTHLIB_RELAX_TOKEN_SCOPE
    is set: the token is still good, with the scopes the person actually granted.
    """
    try:
        return call()
    except Warning as narrowed:
        token = getattr(narrowed, "token", None)
        if not isinstance(token, dict):
            raise ValueError(str(narrowed)) from None
        granted = token.get("scope", [])
        granted = " ".join(granted) if isinstance(granted, list) else str(granted)
        step.checks.append(
            (
                _("granted scopes: %(granted)s (asked for %(requested)s)")
                % {"granted": granted, "requested": requested},
                True,
            )
        )
        return token


def _bearer(run: Run) -> dict:
    return {"access_token": open_vault(run).get("access_token", ""), "token_type": "Bearer"}


def _fail(step: Step, exc: Exception, captured: list[requests.Response]) -> None:
    step.ok = False
    if captured:
        step.status, step.body = captured[-1].status_code, _response_body(captured[-1])
    if isinstance(exc, OAuth2Error):
        step.summary = _("The server answered %(error)s: %(description)s") % {
            "error": exc.error,
            "description": exc.description or _("no description"),
        }
    elif isinstance(exc, requests.RequestException):
        step.summary = _("Could not reach the server: %(error)s") % {"error": exc.__class__.__name__}
    else:
        step.summary = str(exc)


def _unverified_claims(id_token: str) -> dict:
    try:
        payload = id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def _claim_value(name: str, value) -> str:
    if name in TIME_CLAIMS and isinstance(value, int | float):
        return f"{value} ({datetime.fromtimestamp(value, UTC):%Y-%m-%d %H:%M:%S} UTC)"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)
