"""The product's URLs, plus /bench/bare/: the yardstick every hot path is measured against."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from portal.urls import handler500  # noqa: F401 -- the root URLconf names the 500 handler


def bare(request: HttpRequest) -> JsonResponse:
    """A JSON answer with no database, no cache and no template: only Django and the middleware."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("portal.urls")),
]
