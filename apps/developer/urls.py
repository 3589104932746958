from django.urls import path

from apps.developer import playground_views as playground
from apps.developer import views

app_name = "developer"
urlpatterns = [
    path("developer/apps/", views.app_list, name="app-list"),
    path("developer/apps/new/", views.app_create, name="app-create"),
    path("developer/apps/preview/", views.consent_preview, name="consent-preview"),
    path("developer/apps/uri-editor/<slug:name>/", views.uri_editor, name="uri-editor"),
    path("developer/apps/uri-row/<slug:name>/", views.uri_row, name="uri-row"),
    path("developer/apps/<int:pk>/", views.app_detail, name="app-detail"),
    path("developer/apps/<int:pk>/settings/", views.app_edit, name="app-edit"),
    path("developer/apps/<int:pk>/preview/", views.consent_preview, name="app-consent-preview"),
    path("developer/apps/<int:pk>/secrets/new/", views.secret_create, name="secret-create"),
    path(
        "developer/apps/<int:pk>/secrets/<int:secret_pk>/delete/", views.secret_delete, name="secret-delete"
    ),
    path(
        "developer/apps/<int:pk>/revoke-tokens/confirm/",
        views.app_confirm_revoke_tokens,
        name="app-confirm-revoke-tokens",
    ),
    path("developer/apps/<int:pk>/revoke-tokens/", views.app_revoke_tokens, name="app-revoke-tokens"),
    path(
        "developer/apps/<int:pk>/request-verification/",
        views.app_request_verification,
        name="app-request-verification",
    ),
    path("developer/apps/<int:pk>/delete/", views.app_delete, name="app-delete"),
    path("developer/playground/", playground.playground_page, name="playground"),
    path("developer/playground/explain/", playground.playground_explain, name="playground-explain"),
    path("developer/playground/callback/", playground.playground_callback, name="playground-callback"),
    path(
        "developer/playground/<int:pk>/callback-uri/",
        playground.playground_add_callback,
        name="playground-add-callback",
    ),
    path("developer/playground/<int:pk>/start/", playground.playground_start, name="playground-start"),
    path(
        "developer/playground/<int:pk>/exchange/", playground.playground_exchange, name="playground-exchange"
    ),
    path(
        "developer/playground/<int:pk>/call-api/", playground.playground_call_api, name="playground-call-api"
    ),
    path("developer/playground/<int:pk>/refresh/", playground.playground_refresh, name="playground-refresh"),
    path("developer/playground/<int:pk>/revoke/", playground.playground_revoke, name="playground-revoke"),
    path("developer/playground/<int:pk>/reset/", playground.playground_reset, name="playground-reset"),
]
