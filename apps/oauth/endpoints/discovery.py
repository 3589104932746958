"""What the server says about itself: OIDC discovery, RFC 8414 metadata and the JWKS."""

import json
from urllib.parse import urlsplit

from django.http import Http404, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.settings import oauth2_settings

from apps.oauth import supported
from apps.oauth.endpoints.guards import endpoint_url


# Read-only documents: exempt from CSRF so that a POST is answered 405, not a CSRF 403.
@method_decorator(csrf_exempt, name="dispatch")
class JwksView(dot_views.JwksInfoView):
    pass


@method_decorator(csrf_exempt, name="dispatch")
class DiscoveryView(dot_views.ConnectDiscoveryInfoView):
    """OpenID Provider metadata: DOT's, narrowed and completed to what Gatehouse really does.

    Members whose defaults would claim more than we do are stated explicitly (OIDC Discovery
    3: `request_uri_parameter_supported` defaults to true, `grant_types_supported` to implicit).
    """

    def get(self, request, *args, **kwargs):
        data = json.loads(super().get(request, *args, **kwargs).content)
        data.update(
            {
                "issuer": oauth2_settings.oidc_issuer(request),
                "grant_types_supported": list(supported.GRANT_TYPES),
                "response_types_supported": list(supported.RESPONSE_TYPES),
                "response_modes_supported": list(supported.RESPONSE_MODES),
                "code_challenge_methods_supported": list(supported.CODE_CHALLENGE_METHODS),
                "id_token_signing_alg_values_supported": list(supported.ID_TOKEN_SIGNING_ALGS),
                "token_endpoint_auth_methods_supported": list(supported.TOKEN_ENDPOINT_AUTH_METHODS),
                # private_key_jwt's algorithms (apps.oauth.client_assertion); never none or HS*.
                "token_endpoint_auth_signing_alg_values_supported": list(
                    supported.CLIENT_ASSERTION_SIGNING_ALGS
                ),
                "revocation_endpoint": endpoint_url(request, "revoke-token"),
                "revocation_endpoint_auth_methods_supported": list(supported.TOKEN_ENDPOINT_AUTH_METHODS),
                "revocation_endpoint_auth_signing_alg_values_supported": list(
                    supported.CLIENT_ASSERTION_SIGNING_ALGS
                ),
                "introspection_endpoint": endpoint_url(request, "introspect"),
                # Resource servers are confidential clients: introspection needs a secret or a key.
                "introspection_endpoint_auth_methods_supported": list(supported.CLIENT_AUTH_METHODS),
                "introspection_endpoint_auth_signing_alg_values_supported": list(
                    supported.CLIENT_ASSERTION_SIGNING_ALGS
                ),
                "device_authorization_endpoint": endpoint_url(request, "device-authorization"),
                # RFC 9126 5; an app may require it (its require_pushed_authorization_requests).
                "pushed_authorization_request_endpoint": endpoint_url(
                    request, "pushed-authorization-request"
                ),
                "require_pushed_authorization_requests": supported.REQUIRE_PUSHED_AUTHORIZATION_REQUESTS,
                "prompt_values_supported": list(supported.PROMPT_VALUES),
                "claims_supported": sorted(set(data["claims_supported"])),
                "claims_parameter_supported": supported.CLAIMS_PARAMETER_SUPPORTED,
                "request_parameter_supported": False,
                # OIDC's request_uri names a request object to fetch, which we never do; PAR's
                # request_uri is another thing, advertised by the endpoint above (RFC 9126 5).
                "request_uri_parameter_supported": False,
                "authorization_response_iss_parameter_supported": True,
                # The pages speak these (apps.accounts.languages); `locale` is the saved one.
                "ui_locales_supported": supported.ui_locales(),
                "claims_locales_supported": supported.ui_locales(),
                # RFC 9449 5.1: the token endpoint, the API and userinfo take DPoP proofs.
                "dpop_signing_alg_values_supported": list(supported.DPOP_SIGNING_ALGS),
                # OIDC Back-Channel Logout 1.0 (apps.oauth.backchannel); ID tokens carry `sid`.
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": True,
            }
        )
        data.pop("client_id_metadata_document_supported", None)
        response = JsonResponse(data)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=3600"
        return response


class ServerMetadataView(DiscoveryView):
    """RFC 8414 authorization server metadata: the same document, at the well-known URI built
    from the issuer (`/.well-known/oauth-authorization-server/o` for issuer `…/o`), and at the
    issuer-relative form (`/o/.well-known/oauth-authorization-server`) clients also try.

    The root document belongs to an issuer without a path: for any other, its `issuer` would
    differ from the URL it was fetched by, which RFC 8414 3.3 forbids, so it is a 404."""

    def get(self, request, *args, issuer_path=None, **kwargs):
        if issuer_path is not None:
            expected = urlsplit(oauth2_settings.oidc_issuer(request)).path.strip("/")
            if issuer_path.strip("/") != expected:
                raise Http404
        return super().get(request, *args, **kwargs)
