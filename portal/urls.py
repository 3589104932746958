from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.oauth.urls")),
    path("", include("apps.social.urls")),
    path("", include("apps.developer.urls")),
    path("", include("apps.apikeys.urls")),
    path("api/", include("apps.api.urls")),
    path("accounts/", include("allauth.urls")),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("social/", include("social_django.urls", namespace="social")),
    path("admin/", admin.site.urls),
]

# Uploaded avatars and logos are re-encoded images; behind a CDN or object store, set
# GATEHOUSE_SERVE_MEDIA=false and point MEDIA_URL there instead.
if settings.SERVE_MEDIA:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
