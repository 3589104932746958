"""The REST API: thin DRF views over the services the HTML pages use too."""

from collections.abc import Mapping

from django.http import HttpResponse
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import Profile
from apps.accounts.services import cached_profile, update_profile
from apps.api import serializers as s
from apps.api.base import APIView, resource_server_mode
from apps.api.permissions import TokenHasScope
from apps.apikeys.models import APIKey
from apps.apikeys.services import revoke_api_key
from apps.oauth import services as oauth_services

PROFILE_TEXT_FIELDS = ("display_name", "bio", "website", "language")
ERROR_TEXT = {
    400: "Invalid input (`invalid_request`, with `fields`).",
    401: "No, invalid, expired or revoked token or key (`invalid_token`); see `WWW-Authenticate`.",
    403: "A scope is missing (`insufficient_scope`, with `scope`), or the credential has no user.",
    404: "Not found (`not_found`).",
    429: "Rate limit reached (`rate_limited`); see `Retry-After` and `X-RateLimit-*`.",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(s.ErrorSerializer, description=ERROR_TEXT[code]) for code in codes}


def _json_object(request: Request) -> Mapping:
    if not isinstance(request.data, Mapping):
        raise ParseError("Send a JSON object or form fields.")
    return request.data


def _profile_data(request: Request) -> Mapping:
    """The body for `update_profile`: JSON may carry any type, the profile form expects text."""
    data = _json_object(request)
    wrong = {
        name: ["Send text."]
        for name in PROFILE_TEXT_FIELDS
        if name in data and not isinstance(data[name], str)
    }
    if wrong:
        raise ValidationError(wrong)
    # The page's "clear" checkbox is the form's business: API clients remove the picture with null.
    return {name: value for name, value in data.items() if name != "avatar-clear"}


class MeView(APIView):
    """Your account, with your profile nested. Needs the `read` scope."""

    required_scopes = ["read"]

    @extend_schema(responses={200: s.UserSerializer, **errors(401, 403, 429)}, summary="The signed-in user")
    def get(self, request: Request) -> Response:
        request.user.profile = cached_profile(user=request.user)
        return Response(s.UserSerializer(request.user, context={"request": request}).data)


class ProfileView(APIView):
    """Your profile. Reading needs `read_profile`, changing it `write_profile`; changes are checked
    exactly as on the profile page. Send JSON, or multipart to upload a picture (`avatar`)."""

    required_scopes = {"read": ["read_profile"], "write": ["write_profile"]}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses={200: s.ProfileSerializer, **errors(401, 403, 429)}, summary="Your profile")
    def get(self, request: Request) -> Response:
        profile = Profile.objects.for_user(request.user)
        return Response(s.ProfileSerializer(profile, context={"request": request}).data)

    @extend_schema(
        request=s.ProfileUpdateSerializer,
        responses={200: s.ProfileSerializer, **errors(400, 401, 403, 429)},
        summary="Replace your profile (fields left out are emptied)",
    )
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        request=s.ProfileUpdateSerializer,
        responses={200: s.ProfileSerializer, **errors(400, 401, 403, 429)},
        summary="Change some profile fields",
    )
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        profile = update_profile(
            user=request.user,
            data=_profile_data(request),
            files=request.FILES,
            partial=partial,
            request=request._request,
        )
        return Response(s.ProfileSerializer(profile, context={"request": request}).data)


class TokenInfoView(APIView):
    """The credential in use: an OAuth access token or a personal API key, with its scopes,
    expiry, application and user. Needs no scope; token values are never shown."""

    required_scopes: list[str] = []
    permission_classes = [TokenHasScope]  # no IsUser: client-credentials tokens may ask too
    served_on_resource_server = True

    @extend_schema(
        responses={200: s.TokenInfoSerializer, **errors(401, 429)}, summary="The token or key in use"
    )
    def get(self, request: Request) -> Response:
        credential = request.auth
        expires = credential.expires
        application = getattr(credential, "application", None)
        user = request.user if request.user.is_authenticated else None
        user_id = user.pk if user else None
        if resource_server_mode() and not isinstance(credential, APIKey):
            # DOT keeps only the introspected user name and scopes (no application); the cached
            # copy expires when we ask again, not when the token does, and the local user row is
            # a stand-in whose id means nothing at the authorization server.
            expires = user_id = None
        data = {
            "type": "api_key" if isinstance(credential, APIKey) else "access_token",
            "scope": credential.scope,
            "scopes": credential.scope.split(),
            "expires": expires,
            "expires_in": max(0, int((expires - timezone.now()).total_seconds())) if expires else None,
            "application": {"client_id": application.client_id, "name": application.name}
            if application
            else None,
            "user": {"id": user_id, "username": user.get_username()} if user else None,
        }
        return Response(s.TokenInfoSerializer(data).data)


class TokenRevokeView(APIView):
    """Revoke the credential in use: an access token together with its refresh token (through
    django-oauth-toolkit, as RFC 7009 does), or the API key. Needs no scope."""

    required_scopes: list[str] = []
    permission_classes = [TokenHasScope]

    @extend_schema(
        request=None, responses={204: None, **errors(401, 429)}, summary="Revoke the token or key in use"
    )
    def post(self, request: Request) -> Response:
        credential = request.auth
        if isinstance(credential, APIKey):
            revoke_api_key(api_key=credential, request=request._request)
        else:
            user = request.user if request.user.is_authenticated else None
            oauth_services.revoke_token(access_token=credential, user=user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(APIView):
    """The applications holding tokens for you, with how many access and refresh tokens and
    which scopes. Token values are never shown. Needs `read`."""

    required_scopes = ["read"]

    @extend_schema(
        responses={200: s.GrantSerializer(many=True), **errors(401, 403, 429)}, summary="Active grants"
    )
    def get(self, request: Request) -> Response:
        grants = [
            {
                "application": {"client_id": g.application.client_id, "name": g.application.name},
                "scopes": g.scopes,
                "access_tokens": g.access_tokens,
                "refresh_tokens": g.refresh_tokens,
                "first_issued": g.first_issued,
                "expires": g.expires,
            }
            for g in oauth_services.active_grants(user=request.user)
        ]
        return Response(s.GrantSerializer(grants, many=True).data)


class RevokeAllView(APIView):
    """Revoke every application's access to your account, as on the connected-apps page.
    Needs `write`."""

    required_scopes = ["write"]

    @extend_schema(
        request=None,
        responses={200: s.RevokedCountSerializer, **errors(401, 403, 429)},
        summary="Revoke every app",
    )
    def post(self, request: Request) -> Response:
        revoked = oauth_services.revoke_all_access(user=request.user, request=request._request)
        return Response({"revoked": revoked})


class ConnectedAppListView(APIView):
    """The apps you let in, with the scopes you granted, as on the connected-apps page.
    Needs `read`."""

    required_scopes = ["read"]

    @extend_schema(
        responses={200: s.ConnectedAppSerializer(many=True), **errors(401, 403, 429)},
        summary="Connected apps",
    )
    def get(self, request: Request) -> Response:
        apps = [
            {
                "application": {"client_id": app.client_id, "name": app.application.name},
                "scopes": [scope.name for scope in app.scopes],
                "granted": app.granted_at,
                "last_used": app.last_used,
                "expires": app.expires,
            }
            for app in oauth_services.list_connected_apps(user=request.user)
        ]
        return Response(s.ConnectedAppSerializer(apps, many=True).data)


class ConnectedAppDetailView(APIView):
    """Disconnect an app: every token it holds for you is revoked and your consent forgotten.
    Needs `write`."""

    required_scopes = ["write"]

    @extend_schema(responses={204: None, **errors(401, 403, 404, 429)}, summary="Disconnect an app")
    def delete(self, request: Request, client_id: str) -> Response:
        consent = oauth_services.get_consent(user=request.user, client_id=client_id)  # Http404: a JSON 404
        oauth_services.revoke_access(
            user=request.user, application=consent.application, request=request._request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRefreshView(APIView):
    """The refresh-token grant of `/o/token/` at its old address (RFC 6749 section 6): the same
    client authentication, rotation, reuse detection and errors. Send the form body `/o/token/`
    takes; `grant_type` may be left out."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # The token endpoint limits per address and per client itself; a second, tighter limit here
    # would throttle a backend that refreshes for many users from one address.
    throttle_classes: list = []
    parser_classes = [FormParser]  # documents the body; it is passed on untouched, not parsed here

    @extend_schema(
        request=s.RefreshRequestSerializer,
        responses={
            200: s.TokenResponseSerializer,
            400: OpenApiResponse(
                s.TokenEndpointErrorSerializer, description="RFC 6749 error, e.g. `invalid_grant`."
            ),
            401: OpenApiResponse(s.TokenEndpointErrorSerializer, description="`invalid_client`."),
            429: OpenApiResponse(
                s.TokenEndpointErrorSerializer, description="`slow_down`; see `Retry-After`."
            ),
        },
        auth=[],
        summary="Refresh an access token (alias of the refresh grant at /o/token/)",
    )
    def post(self, request: Request) -> HttpResponse:
        django_request = request._request
        params = django_request.POST.copy()
        params.setdefault("grant_type", "refresh_token")
        if params["grant_type"] != "refresh_token":
            return Response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only refresh_token is accepted here.",
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        django_request.POST = params
        # Whatever serves /o/token/ (DOT's TokenView or its hardened wrapper) answers, errors included.
        return resolve(reverse("oauth2_provider:token")).func(django_request)


class NotFoundView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    served_on_resource_server = True

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        raise NotFound(gettext("There is no such API endpoint; see /api/docs/ (paths end with a slash)."))

    post = put = patch = delete = get
