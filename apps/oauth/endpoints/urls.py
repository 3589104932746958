"""Gatehouse's protocol endpoints, resolved before DOT's `o/` include.

Paths equal DOT's, so `reverse("oauth2_provider:token")` and friends lead here. The RFC 8414
document sits where RFC 8414 section 3 puts it for the issuer: `/.well-known/…/<issuer path>`.
"""

from django.urls import path, re_path

from apps.oauth.endpoints import authorize, device, discovery, oidc, token

urlpatterns = [
    # The root form names an issuer without a path; ours has one, so this answers 404.
    path(
        ".well-known/oauth-authorization-server", discovery.ServerMetadataView.as_view(), {"issuer_path": ""}
    ),
    path(".well-known/oauth-authorization-server/<path:issuer_path>", discovery.ServerMetadataView.as_view()),
    path("o/.well-known/oauth-authorization-server", discovery.ServerMetadataView.as_view()),
    re_path(r"^o/\.well-known/openid-configuration/?$", discovery.DiscoveryView.as_view()),
    path("o/.well-known/jwks.json", discovery.JwksView.as_view()),
    path("o/authorize/", authorize.AuthorizeView.as_view()),
    path("o/token/", token.TokenView.as_view()),
    path("o/revoke_token/", token.RevokeTokenView.as_view()),
    path("o/introspect/", token.IntrospectTokenView.as_view()),
    path("o/device-authorization/", device.DeviceAuthorizationView.as_view()),
    path("o/device/", device.DeviceUserCodeView.as_view()),
    path("o/device-confirm/<slug:client_id>/<slug:user_code>", device.DeviceConfirmView.as_view()),
    path("o/userinfo/", oidc.UserInfoView.as_view()),
    path("o/logout/", oidc.LogoutView.as_view()),
]
