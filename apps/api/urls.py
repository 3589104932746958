from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from apps.api import docs, views

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("token/info/", views.TokenInfoView.as_view(), name="token-info"),
    path("token/revoke/", views.TokenRevokeView.as_view(), name="token-revoke"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("tokens/", views.TokenListView.as_view(), name="token-list"),
    path("tokens/revoke-all/", views.RevokeAllView.as_view(), name="token-revoke-all"),
    path("connected-apps/", views.ConnectedAppListView.as_view(), name="connected-app-list"),
    path(
        "connected-apps/<str:client_id>/", views.ConnectedAppDetailView.as_view(), name="connected-app-detail"
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    # Anything else under /api/ is a JSON 404 in the API's error shape, not the HTML page.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
