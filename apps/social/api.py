"""POST /api/auth/social/<provider>/: the token exchange for native apps (apps.social.native).

Deprecated in favour of the RFC 8693 grant at /o/token/ (apps.oauth.token_exchange), which runs
the same checks; kept for the apps that call it, and for a provider's authorization code.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from apps.core import metrics
from apps.social import native

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ExchangeRequestSerializer(serializers.Serializer):
    client_id = serializers.CharField(max_length=100, help_text="A registered public (native) client.")
    access_token = serializers.CharField(
        required=False, max_length=4096, help_text="The provider's access token."
    )
    code = serializers.CharField(
        required=False, max_length=2048, help_text="Or the provider's authorization code…"
    )
    redirect_uri = serializers.CharField(
        required=False, max_length=2048, help_text="…with the redirect URI it was sent to."
    )
    code_verifier = serializers.CharField(
        required=False, max_length=128, help_text="PKCE verifier, if the app used PKCE."
    )
    scope = serializers.CharField(
        required=False, max_length=1000, help_text="Space-separated Gatehouse scopes."
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("access_token") and not (attrs.get("code") and attrs.get("redirect_uri")):
            raise serializers.ValidationError("Send access_token, or code and redirect_uri.")
        return attrs


TOKEN_RESPONSE = inline_serializer(
    "SocialTokenExchangeResponse",
    {
        "access_token": serializers.CharField(),
        "refresh_token": serializers.CharField(),
        "token_type": serializers.CharField(),
        "expires_in": serializers.IntegerField(),
        "scope": serializers.CharField(),
    },
)
OAUTH_ERROR = inline_serializer(
    "OAuthError", {"error": serializers.CharField(), "error_description": serializers.CharField()}
)

RATE_LIMITED = inline_serializer(
    "SocialExchangeRateLimited",
    {
        "error": serializers.CharField(),
        "error_description": serializers.CharField(),
        "retry_after": serializers.IntegerField(),
    },
)


class TokenExchangeThrottle(AnonRateThrottle):
    scope = "social_exchange"
    rate = "30/minute"  # per client IP; each attempt costs calls to the provider

    def throttle_failure(self) -> bool:
        metrics.rate_limit_refused(self.scope)
        return super().throttle_failure()


def _first_error(errors: dict) -> str:
    field, messages = next(iter(errors.items()))
    return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"


class SocialTokenExchangeView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    # JSON, or form-encoded like the OAuth token endpoint.
    parser_classes = [JSONParser, FormParser]
    throttle_classes = [TokenExchangeThrottle]

    @extend_schema(
        operation_id="social_token_exchange",
        summary="Exchange a Google, GitHub or Facebook token for Gatehouse tokens",
        description="Deprecated: use the token exchange grant (RFC 8693) at `/o/token/` with "
        "`subject_issuer` set to the provider.",
        deprecated=True,
        request=ExchangeRequestSerializer,
        responses={
            200: TOKEN_RESPONSE,
            400: OpenApiResponse(OAUTH_ERROR, description="Missing parameter, bad scope or client type."),
            401: OpenApiResponse(
                OAUTH_ERROR, description="Unknown client, or the provider rejected the token."
            ),
            403: OpenApiResponse(OAUTH_ERROR, description="The account needs the browser (MFA, email)."),
            429: OpenApiResponse(
                RATE_LIMITED,
                description="Too many attempts from this address (`rate_limited`); see `Retry-After`.",
            ),
            503: OpenApiResponse(OAUTH_ERROR, description="The provider is not responding."),
        },
        tags=["auth"],
    )
    def post(self, request: Request, provider: str) -> Response:
        serializer = ExchangeRequestSerializer(data=request.data)
        if not serializer.is_valid():
            body = {"error": "invalid_request", "error_description": _first_error(serializer.errors)}
            return Response(body, status=400, headers=NO_STORE)
        data = serializer.validated_data
        try:
            application = native.public_client(data["client_id"])
            tokens = native.exchange(
                request._request,
                provider=provider,
                application=application,
                access_token=data.get("access_token", ""),
                code=data.get("code", ""),
                redirect_uri=data.get("redirect_uri", ""),
                code_verifier=data.get("code_verifier", ""),
                scope=data.get("scope", ""),
            )
        except native.ExchangeError as error:
            return Response(error.body, status=error.status, headers={**NO_STORE, **error.headers})
        return Response(tokens, headers=NO_STORE)
