from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from oauth2_provider import urls as dot_urls

from apps.accounts.views import set_language
from apps.oauth.endpoints.par import PushedAuthorizationRequestView

# DOT's protocol endpoints only: its application-management pages and dynamic client
# registration are replaced by the developer console. The RFC 8414 route under o/ names the
# issuer DOT puts in the RFC 9207 `iss` parameter, so it equals the OIDC issuer. DOT has no
# RFC 9126 endpoint: ours joins its namespace, so discovery finds it like the others.
dot_patterns = (
    dot_urls.base_urlpatterns
    + dot_urls.oidc_urlpatterns
    + dot_urls.metadata_urlpatterns[:1]
    + [path("par/", PushedAuthorizationRequestView.as_view(), name="pushed-authorization-request")],
    "oauth2_provider",
)

urlpatterns = [
    # Machine paths early, since every API call and token request resolves its URL (after the
    # home page, dashboard and probes, four patterns): Gatehouse's own protocol views (metadata,
    # hardened endpoints), which take precedence over DOT's, then the API (social's /api/auth/
    # route before it: the API answers any other /api/ path with its JSON 404).
    path("", include("apps.core.urls")),
    path("", include("apps.oauth.endpoints.urls")),
    path("", include("apps.social.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.oauth.urls")),
    path("", include("apps.developer.urls")),
    path("", include("apps.apikeys.urls")),
    path("", include("apps.staff.urls")),
    # Django's i18n URL (django.conf.urls.i18n) and name, with our view: it saves the choice too.
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("o/", include(dot_patterns, namespace="oauth2_provider")),
    path("social/", include("social_django.urls", namespace="social")),
    path("admin/", admin.site.urls),
]

handler400 = "apps.core.views.bad_request"
handler500 = "apps.core.views.server_error"

# Uploaded avatars and logos are re-encoded images; behind a CDN or object store, set
# GATEHOUSE_SERVE_MEDIA=false and point MEDIA_URL there instead.
if settings.SERVE_MEDIA:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
