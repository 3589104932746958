"""The authorization endpoint: DOT's, with Gatehouse's consent policy (apps.oauth.consent)."""

from urllib.parse import parse_qsl, urlencode, urlsplit

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_validators import is_valid_resource_uri
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from apps.core.http import see_other_as_get
from apps.oauth import fapi, pushed, services
from apps.oauth.consent import (
    AuthorizationEndpointValidator,
    clear_reauth_request,
    consent_context,
    granted_scopes,
    mark_reauth_requested,
    needs_fresh_login,
    parse_max_age,
    previously_granted,
    remember_pending_request,
    request_digest,
    required_scopes,
    signed_in_account,
    take_pending_request,
)
from apps.oauth.endpoints.guards import OwnOAuthLibCoreMixin
from apps.oauth.forms import ConsentForm
from apps.oauth.models import Application, Consent
from apps.oauth.resources import refusal as resource_refusal
from apps.oauth.supported import (
    CLAIMS_NOT_SUPPORTED,
    CODE_CHALLENGE_METHODS,
    REPEATABLE,
    RESPONSE_MODES,
    RESPONSE_TYPES,
    S256_CHALLENGE,
    S256_CHALLENGE_PROBLEM,
    redirect_uri_registered,
)

FRIENDLY_ERRORS = [
    (
        (oauth_errors.InvalidClientIdError, oauth_errors.MissingClientIdError),
        gettext_lazy("This app isn't registered"),
        gettext_lazy(
            "The link you followed names an app that {site} doesn't know. Nothing was shared. "
            "Go back to the app and try again, or tell its developer."
        ),
    ),
    (
        (
            oauth_errors.InvalidRedirectURIError,
            oauth_errors.MissingRedirectURIError,
            oauth_errors.MismatchingRedirectURIError,
        ),
        gettext_lazy("This app asked to send you somewhere unexpected"),
        gettext_lazy(
            "{site} only sends you back to addresses the app's developer registered, and this one isn't. "
            "Nothing was shared. Go back to the app and try again, or tell its developer."
        ),
    ),
]


def _is_decision(request: HttpRequest) -> bool:
    """A POST of our consent form (not an OIDC authorization request sent by POST)."""
    return "csrfmiddlewaretoken" in request.POST or "allow" in request.POST


def _validated_client(credentials: dict) -> Application:
    """The application oauthlib just validated the request against (loaded with its owner and
    the owner's profile by the validator), rather than a second SELECT of the same row."""
    client = getattr(credentials.get("request"), "client", None)
    if isinstance(client, Application) and client.client_id == credentials["client_id"]:
        return client
    return Application.objects.select_related("user__profile").get(client_id=credentials["client_id"])


def _with_params(uri: str, params: dict) -> str:
    return uri + ("&" if urlsplit(uri).query else "?") + urlencode(params)


# Why a pushed request's request_uri leads nowhere (RFC 9126 4): (title, help) for the page.
PUSHED_PROBLEMS = {
    "unknown": (
        gettext_lazy("This sign-in link isn't valid"),
        gettext_lazy(
            "The app's sign-in request is unknown here, or was made by another app. Nothing was shared. "
            "Go back to the app and try again."
        ),
    ),
    "expired": (
        gettext_lazy("This sign-in link has expired"),
        gettext_lazy(
            "The app's sign-in request was only valid for a minute. Nothing was shared. "
            "Go back to the app and start signing in again."
        ),
    ),
    "used": (
        gettext_lazy("This sign-in link was already used"),
        gettext_lazy(
            "Each sign-in request works once, in the browser that first opened it. "
            "Go back to the app and start signing in again."
        ),
    ),
}


def authorization_problem(query, credentials: dict) -> tuple[str, str] | None:
    """Why a request that oauthlib accepted is still refused, if it is: the (error,
    error_description). The authorization endpoint answers it by redirect; the PAR endpoint,
    which validates pushed requests exactly the same way (RFC 9126 2.1), as JSON."""
    for name, values in query.lists():
        if len(values) > 1 and name not in REPEATABLE:
            return "invalid_request", f"The {name} parameter may appear only once."
    # OIDC Core 3.1.2.6; discovery says neither is supported, so never silently ignore them.
    if "request" in query:
        return "request_not_supported", "Request objects are not supported."
    if "request_uri" in query:
        return "request_uri_not_supported", "The request_uri parameter is not supported."
    if "claims" in query:
        # Discovery says claims_parameter_supported: false; claims come with scopes.
        return "invalid_request", CLAIMS_NOT_SUPPORTED
    if "create" in query.get("prompt", "").split():
        # Discovery's prompt_values_supported leaves it out: say so, signed in or not.
        return "invalid_request", "prompt=create is not supported; send people to sign up first."
    if "response_mode" in query and query["response_mode"] not in RESPONSE_MODES:
        # Discovery lists `query` only; `fragment` and `form_post` would be ignored or half done.
        return "invalid_request", "Only response_mode=query is supported."
    method = credentials.get("code_challenge_method")
    if not credentials.get("code_challenge") or method not in CODE_CHALLENGE_METHODS:
        return "invalid_request", "PKCE with code_challenge_method=S256 is required."
    if not S256_CHALLENGE.fullmatch(credentials["code_challenge"]):
        return "invalid_request", S256_CHALLENGE_PROBLEM
    try:
        parse_max_age(query.get("max_age"))
    except ValueError:
        return "invalid_request", "max_age must be a whole number of seconds."
    resources = query.getlist("resource")
    if not all(is_valid_resource_uri(uri) for uri in resources):
        return "invalid_request", "Each resource must be an absolute URI."
    if problem := resource_refusal(resources, credentials.get("request")):
        return "invalid_target", problem  # RFC 8707 2: registered resources only
    if resources:
        credentials["resource"] = resources
    return None


@method_decorator(csrf_exempt, name="dispatch")
class AuthorizeView(OwnOAuthLibCoreMixin, AuthorizationView):
    """DOT's authorization endpoint with Gatehouse's consent policy (apps.oauth.consent).

    Only first-party apps (`skip_authorization`, set by staff) and a stored decision that
    covers the request skip the screen; `approval_prompt` is ignored.
    """

    form_class = ConsentForm
    validator_class = AuthorizationEndpointValidator
    decision: dict | None = None
    # The URL as the browser asked for it; for a pushed request, what signing in returns to.
    entry_path = ""
    # A pushed request (RFC 9126 4) redeemed for this GET: its key and its parameters.
    pushed_key = ""
    pushed_parameters: dict | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.method not in ("GET", "POST"):
            # Django answers HEAD with GET, which would issue a code: HEAD must not change state.
            response = self.http_method_not_allowed(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response
        if request.method == "POST" and not _is_decision(request):
            return see_other_as_get(request)  # OIDC Core 3.1.2.1: a request may come by POST
        self.entry_path = request.get_full_path()
        if request.method == "GET" and (refusal := self.expand_pushed_request(request)):
            add_never_cache_headers(refusal)
            return refusal
        handler = super().dispatch
        if request.method == "POST":
            # Exempt above only so cross-site authorization requests get in; decisions never are.
            handler = csrf_protect(handler)
        response = handler(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def expand_pushed_request(self, request) -> HttpResponse | None:
        """RFC 9126 4: `client_id` and a `request_uri` from our PAR endpoint stand for the
        request that client pushed; every other parameter of the URL is ignored. From here on
        the request is the pushed one, and the endpoint validates it as any other (RFC 9126 4).
        An error page if it leads nowhere: there is no redirect URI to trust."""
        request_uri = request.GET.get("request_uri", "")
        if not request_uri.startswith(pushed.REQUEST_URI_PREFIX):
            return None  # by reference to a request object (OIDC): request_problem refuses it
        client_id = request.GET.get("client_id", "")
        if (
            not client_id
            or len(request.GET.getlist("request_uri")) > 1
            or len(request.GET.getlist("client_id")) > 1
        ):
            return self.pushed_failure("unknown")
        redemption = pushed.redeem(request, request_uri=request_uri, client_id=client_id)
        if redemption.parameters is None:
            return self.pushed_failure(redemption.problem)
        self.pushed_key, self.pushed_parameters = pushed.uri_hash(request_uri), redemption.parameters
        request.GET = redemption.query(client_id)
        request.META["QUERY_STRING"] = request.GET.urlencode()
        return None

    def pushed_failure(self, problem: str) -> HttpResponse:
        title, help_text = PUSHED_PROBLEMS[problem]
        error = {"error": "invalid_request_uri", "description": f"The request_uri is {problem}."}
        context = {"error": error, "error_title": title, "error_help": help_text}
        return self.render_to_response(context, status=400)

    # --- GET: validate, then sign in again, skip, refuse or show the screen ------------------

    def get(self, request, *args, **kwargs):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.refuse(error)
        application = _validated_client(credentials)
        if problem := self.request_problem(application, credentials):
            return self.redirect_error(application, credentials, *problem)
        prompt = set(request.GET.get("prompt", "").split())
        digest = request_digest(request.GET.lists())
        max_age = parse_max_age(request.GET.get("max_age"))
        if needs_fresh_login(request, prompt=prompt, max_age=max_age, digest=digest):
            if "none" in prompt:
                return self.redirect_error(application, credentials, "login_required")
            return self.send_to_sign_in(application, digest)
        clear_reauth_request(request)
        consent = Consent.objects.filter(user=request.user, application=application).first()
        covered = application.skip_authorization or (consent is not None and consent.covers(scopes))
        if covered and "consent" not in prompt:
            return self.approve_without_screen(application, scopes, credentials, consent)
        if "none" in prompt:
            return self.redirect_error(application, credentials, "consent_required")
        return self.show_screen(application, scopes, credentials, consent)

    def validate_authorization_request(self, request):
        if "redirect_uri" not in request.GET:
            # OIDC Core 3.1.2.1 requires it, and so does our token endpoint (OAuth 2.1 4.1.3):
            # a code issued without one could never be exchanged. Never redirect on it (4.1.2.1).
            raise FatalClientError(
                error=oauth_errors.MissingRedirectURIError(
                    description="The redirect_uri parameter is required."
                )
            )
        return super().validate_authorization_request(request)

    def request_problem(self, application: Application, credentials: dict) -> tuple[str, str] | None:
        """Why a request that oauthlib accepted is still refused before the screen, if it is:
        the (error, error_description) to answer by redirect."""
        if application.pushed_authorization_requests_required and not self.pushed_key:
            # RFC 9126 6: this client's requests come through the PAR endpoint or not at all.
            return "invalid_request", "This client must use pushed authorization requests."
        return authorization_problem(self.request.GET, credentials) or fapi.authorization_problem(
            application, credentials
        )

    def approve_without_screen(self, application, scopes, credentials, consent):
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=self.request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        if consent is not None:
            services.mark_consent_used(consent=consent)
        return self.redirect(uri, application)

    def show_screen(self, application, scopes, credentials, consent):
        self.oauth2_data = {**credentials, "scope": scopes}
        if "resource" in credentials:
            self.oauth2_data["resource"] = " ".join(credentials["resource"])
        form = self.get_form()
        remember_pending_request(self.request, form.initial, scopes)
        context = self.get_context_data(
            form=form, application=application, scopes=scopes, stored_consent=consent
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["consent"] = consent_context(
            application=kwargs["application"],
            requested=kwargs["scopes"],
            consent=kwargs["stored_consent"],
            redirect_uri=self.oauth2_data["redirect_uri"],
            account=signed_in_account(self.request.user),
        )
        context["switch_account_next"] = self.entry_path
        return context

    # --- POST: the user's decision -----------------------------------------------------------

    def form_valid(self, form):
        requested = take_pending_request(self.request, form.cleaned_data)
        # Answered either way: a pushed request behind this screen is spent for this browser too.
        pushed.forget(
            self.request,
            client_id=form.cleaned_data["client_id"] or "",
            code_challenge=form.cleaned_data.get("code_challenge") or "",
        )
        application = Application.objects.filter(client_id=form.cleaned_data["client_id"]).first()
        if requested is None or application is None:
            return self.failure(
                _("This request has expired"),
                _("Go back to the app and start signing in again. Nothing was shared."),
            )
        data = form.cleaned_data
        if data["allow"]:
            consent = Consent.objects.filter(user=self.request.user, application=application).first()
            allowed = set(
                get_scopes_backend().get_available_scopes(application=application, request=self.request)
            )
            granted = granted_scopes(
                requested,
                allowed=allowed,
                locked=required_scopes(application, requested) | previously_granted(consent),
                ticked=data["granted"],
            )
            # Unticking everything is a No: the token endpoint would otherwise apply default scopes.
            data["allow"] = bool(granted)
            self.decision = {"application": application, "scopes": granted, "remember": data["remember"]}
            data["scope"] = " ".join(granted)
        else:
            data["scope"] = " ".join(requested)
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.failure(_("Something went wrong"), _("Go back to the app and start signing in again."))

    def create_authorization_response(self, request, scopes, credentials, allow):
        # The code (DOT's Grant row) and the decision that allowed it are stored together or not
        # at all: a code without its Consent would be an access the user cannot see or revoke.
        with transaction.atomic():
            result = super().create_authorization_response(request, scopes, credentials, allow)
            if allow and self.decision is not None:
                services.record_consent(user=request.user, request=request, **self.decision)
        return result

    # --- Answers -----------------------------------------------------------------------------

    def handle_no_permission(self):
        """Anonymous: validate first (bad clients get an error page), then sign in or answer."""
        request = self.request
        if request.method == "POST":
            return self.failure(_("You were signed out"), _("Go back to the app and start signing in again."))
        try:
            _scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.refuse(error)
        application = _validated_client(credentials)
        if problem := self.request_problem(application, credentials):
            return self.redirect_error(application, credentials, *problem)
        if "none" in request.GET.get("prompt", "").split():
            return self.redirect_error(application, credentials, "login_required")
        return self.send_to_sign_in(application, request_digest(request.GET.lists()))

    def send_to_sign_in(self, application: Application, digest: str) -> HttpResponse:
        request = self.request
        if request.user.is_authenticated:
            get_adapter(request).logout(request)
            if self.pushed_key:
                # Signing out emptied the session: the request this browser redeemed comes back.
                pushed.bind(
                    request,
                    key=self.pushed_key,
                    client_id=application.client_id,
                    parameters=self.pushed_parameters,
                )
            messages.info(request, _("%(app)s asks you to sign in again.") % {"app": application.name})
        else:
            messages.info(request, _("Sign in to continue to %(app)s.") % {"app": application.name})
        mark_reauth_requested(request, digest=digest)
        return redirect_to_login(self.entry_path, resolve_url(self.get_login_url()))

    def refuse(self, error: OAuthToolkitError) -> HttpResponse:
        """oauthlib refused the request: an error page, or by redirect once client and URI are known."""
        if isinstance(error, FatalClientError):
            return self.error_response(error, application=None)
        oauthlib_error, query = error.oauthlib_error, self.request.GET
        client_id = oauthlib_error.client_id or query.get("client_id")
        application = Application.objects.filter(client_id=client_id).first() if client_id else None
        redirect_uri = oauthlib_error.redirect_uri
        if application is not None and not redirect_uri:
            # Some oauthlib checks (a malformed `claims`) raise without the request they judged;
            # they run only after client and redirect URI passed, but check the URI again anyway.
            redirect_uri = query.get("redirect_uri") or application.default_redirect_uri
            if not redirect_uri_registered(redirect_uri, application.redirect_uris.split()):
                redirect_uri = None
        if application is None or not redirect_uri:
            return self.error_response(error, application=None)
        code, description = oauthlib_error.error, oauthlib_error.description
        if code == "unauthorized_client" and query.get("response_type") not in RESPONSE_TYPES:
            # oauthlib routes `token`, `id_token`... to grants no client is allowed (RFC 6749 4.1.2.1).
            code, description = "unsupported_response_type", "Only response_type=code is supported."
        credentials = {"redirect_uri": redirect_uri, "state": oauthlib_error.state or query.get("state")}
        return self.redirect_error(application, credentials, code, description)

    def redirect_error(self, application, credentials, error: str, description: str = "") -> HttpResponse:
        """An authorization error response by redirect (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6)."""
        params = {"error": error}
        if description:
            params["error_description"] = description
        if credentials.get("state"):
            params["state"] = credentials["state"]
        return self.redirect(_with_params(credentials["redirect_uri"], params), application)

    def redirect(self, redirect_to, application):
        if self.pushed_key:
            # Answered to the client, a code or an error: the pushed request is spent here too.
            pushed.forget(self.request, key=self.pushed_key)
        # RFC 9207: errors carry `iss` too, not only the successful responses DOT signs.
        if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:
            query = dict(parse_qsl(urlsplit(redirect_to).query))
            if "iss" not in query:
                issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
                redirect_to = _with_params(redirect_to, {"iss": issuer})
        return super().redirect(redirect_to, application)

    def error_response(self, error, application, **kwargs):
        site = settings.SITE_NAME
        title, help_text = _("This request can't be completed"), _("Go back to the app and try again.")
        for classes, friendly_title, friendly_help in FRIENDLY_ERRORS:
            if isinstance(error.oauthlib_error, classes):
                title, help_text = friendly_title, friendly_help.format(site=site)
        if suspended := self.suspended_application(error):
            # DOT sees a suspended app as unknown (Application.is_usable); people are told why.
            title = f"{suspended.name} is suspended"
            help_text = f"{site} has suspended this app, so you can't sign in to it. Nothing was shared."
        return super().error_response(error, application, error_title=title, error_help=help_text, **kwargs)

    def suspended_application(self, error) -> Application | None:
        if not isinstance(error.oauthlib_error, oauth_errors.InvalidClientIdError):
            return None
        client_id = self.request.GET.get("client_id") or self.request.POST.get("client_id")
        if not client_id:
            return None
        return Application.objects.filter(client_id=client_id, suspended=True).first()

    def failure(self, title: str, help_text: str) -> HttpResponse:
        context = {"error": {"error": "invalid_request"}, "error_title": title, "error_help": help_text}
        return self.render_to_response(context, status=400)
