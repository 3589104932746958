"""Which language a page speaks. No language prefix in URLs: the first of these that names a
language in settings.LANGUAGES wins.

1. OIDC `ui_locales` of the authorization request (OIDC Core 3.1.2.1), in the query, in the
   `next` URL that signing in returns to, or kept in the session while the person signs in;
2. the language saved on the person's profile;
3. the footer switcher's cookie (Django's `set_language`), then `Accept-Language`;
4. settings.LANGUAGE_CODE.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from apps.accounts.models import Profile
from apps.core import rowcache

# The ui_locales of an authorization request, while the sign-in it leads to goes on.
UI_LOCALE_SESSION_KEY = "gatehouse_ui_locale"
# The pages of an authorization request's sign-in (allauth's, social sign-in's, the OAuth ones):
# only there does a kept ui_locales apply, not on the rest of an abandoned session.
SIGN_IN_PATHS = ("/accounts/", "/social/", "/o/")
# A BCP47 list is short; a longer one is not worth reading to its end.
MAX_UI_LOCALES = 10


def supported_language(tag: str) -> str | None:
    """`tag` (BCP47, any case) as one of settings.LANGUAGES: `de-CH` is `de`. None if none fits."""
    try:
        code = translation.get_supported_language_variant(tag.lower(), strict=False)
    except LookupError:
        return None
    return code if code in dict(settings.LANGUAGES) else None


def first_supported(ui_locales: str) -> str | None:
    """The first supported language of a space-separated `ui_locales` list (OIDC Core 3.1.2.1)."""
    for tag in ui_locales.split()[:MAX_UI_LOCALES]:
        if code := supported_language(tag):
            return code
    return None


def _query_value(url: str, name: str) -> str:
    try:
        query = urlsplit(url).query
    except ValueError:
        return ""
    return dict(parse_qsl(query)).get(name, "")


def requested_ui_locale(request: HttpRequest) -> str | None:
    """The language an authorization request asked for with `ui_locales`, on its own URL or on
    the `next` URL of the sign-in page it sent the person to."""
    if value := request.GET.get("ui_locales"):
        return first_supported(value)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if value := _query_value(next_url, "ui_locales"):
        return first_supported(value)
    return None


def without_ui_locales(url: str) -> str:
    """`url` without `ui_locales`, in its query or in the `next` URL inside it: after the person
    picks a language, the app's hint no longer overrides it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = [
        (name, without_ui_locales(value) if name == "next" else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name != "ui_locales"
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def saved_language(user) -> str:
    """The person's saved choice ("" to follow the browser), from the shared cache (no SQL on a
    hit). Never creates the profile, nor caches one on `user`: only reads."""
    profile = rowcache.fetch(Profile.objects.all(), field="user_id", value=user.pk)
    language = profile.language if profile is not None else ""
    return language if language in dict(settings.LANGUAGES) else ""


def choose_language(request: HttpRequest) -> str:
    """The language of this request to a page (see the module docstring)."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if code := requested_ui_locale(request):
        if session is not None and not signed_in and session.get(UI_LOCALE_SESSION_KEY) != code:
            session[UI_LOCALE_SESSION_KEY] = code  # for the sign-in steps that carry no `next`
        return code
    kept = None
    if session is not None and not signed_in and request.path.startswith(SIGN_IN_PATHS):
        kept = session.get(UI_LOCALE_SESSION_KEY)
    if kept in dict(settings.LANGUAGES):
        return kept
    if signed_in and (code := saved_language(user)):
        return code
    return translation.get_language_from_request(request)
