from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from apps.core.http import HtmxHttpRequest
from apps.core.metrics import exposition, scrape_enabled, scrape_refusal
from apps.core.middleware import MACHINE_PATHS, machine_error, unreadable_body_response

# What a signed-in user can do, in the order the dashboard shows it.
DASHBOARD_TILES = [
    ("accounts:profile", _("Profile"), _("Your name, picture, bio and website.")),
    (
        "accounts:security",
        _("Security"),
        _("Email, password, two-factor authentication, passkeys and sessions."),
    ),
    (
        "identities:sign-in-methods",
        _("Sign-in methods"),
        _("Google, GitHub, Facebook and other accounts you sign in with."),
    ),
    (
        "oauth:connected-apps",
        _("Connected apps"),
        _("Apps you gave access to your account, and what they can see."),
    ),
    ("audit:security-log", _("Security log"), _("Every sign-in and change to your account, newest first.")),
    (
        "developer:app-list",
        _("Developer console"),
        _("Register OAuth apps, manage their secrets and try them."),
    ),
    ("apikeys:key-list", _("API keys"), _("Personal keys for scripts that call the API.")),
    ("api:docs", _("API reference"), _("The REST API and how to authenticate to it.")),
]

STAFF_TILE = _("Verification queue, apps, people and the last day's sign-ins.")


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return render(request, "core/home.html")


@login_required
@require_GET
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    tiles = [{"url": reverse(name), "title": title, "text": text} for name, title, text in DASHBOARD_TILES]
    if request.user.is_staff:
        tiles.append({"url": reverse("staff:overview"), "title": _("Staff console"), "text": STAFF_TILE})
    return render(request, "core/dashboard.html", {"tiles": tiles})


@never_cache
@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers (no auth, no redirect)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape target, in the text format every Prometheus reads (0.0.4)."""
    if not scrape_enabled():
        raise Http404
    return scrape_refusal(request) or HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: JSON for machines, a page for people. Unlike Django's, it runs no CSRF check,
    which would read the request body again, and a body that could not be read is often why."""
    return unreadable_body_response(request, exception, description="The request could not be read.")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: machines calling the API or the OAuth endpoints get JSON, people a page
    (a static one: rendering must not fail again, nor re-read the body through a CSRF check)."""
    if request.path.startswith(MACHINE_PATHS):
        return machine_error(500, "server_error", "Something went wrong on our side. Try again later.")
    return HttpResponseServerError(loader.render_to_string("500.html"))
