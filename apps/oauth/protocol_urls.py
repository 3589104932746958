"""Gatehouse's own protocol endpoints, resolved before DOT's `o/` include.

Paths equal DOT's, so `reverse("oauth2_provider:token")` and friends lead here. The RFC 8414
document also sits at the site root, where RFC 8414 section 3 puts it.
"""

from django.urls import path, re_path

from apps.oauth import protocol_views as views

urlpatterns = [
    path(".well-known/oauth-authorization-server", views.ServerMetadataView.as_view()),
    path(".well-known/oauth-authorization-server/<path:issuer_path>", views.ServerMetadataView.as_view()),
    path("o/.well-known/oauth-authorization-server", views.ServerMetadataView.as_view()),
    re_path(r"^o/\.well-known/openid-configuration/?$", views.DiscoveryView.as_view()),
    path("o/.well-known/jwks.json", views.JwksView.as_view()),
    path("o/token/", views.TokenView.as_view()),
    path("o/revoke_token/", views.RevokeTokenView.as_view()),
    path("o/introspect/", views.IntrospectTokenView.as_view()),
    path("o/device-authorization/", views.DeviceAuthorizationView.as_view()),
    path("o/device/", views.DeviceUserCodeView.as_view()),
    path("o/device-confirm/<slug:client_id>/<slug:user_code>", views.DeviceConfirmView.as_view()),
    path("o/userinfo/", views.UserInfoView.as_view()),
    path("o/logout/", views.LogoutView.as_view()),
]
