from django.urls import path

from apps.oauth import views

app_name = "oauth"
urlpatterns = [
    path("connected-apps/", views.connected_apps, name="connected-apps"),
    path("connected-apps/confirm-revoke-all/", views.confirm_revoke_all, name="confirm-revoke-all"),
    path("connected-apps/revoke-all/", views.revoke_all, name="revoke-all"),
    path("connected-apps/<str:client_id>/", views.connected_app, name="connected-app"),
    path(
        "connected-apps/<str:client_id>/confirm-revoke/",
        views.confirm_revoke_access,
        name="confirm-revoke-access",
    ),
    path("connected-apps/<str:client_id>/revoke/", views.revoke_access, name="revoke-access"),
    path(
        "connected-apps/<str:client_id>/scopes/<slug:scope>/remove/", views.remove_scope, name="remove-scope"
    ),
]
