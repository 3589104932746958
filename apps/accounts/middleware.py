from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from apps.accounts.languages import choose_language
from apps.accounts.services import note_session_activity, notice_sign_in
from apps.core.middleware import is_machine_request


class NewDeviceMiddleware:
    """After any sign-in (password, passkey, code, social), email the user if the browser is new.

    A middleware because the browser is recognised by a cookie, and only a response can set one;
    it sees every way of signing in without knowing about any of them. It also keeps the
    sessions pages' "last active" (note_session_activity), which every signed-in request needs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        note_session_activity(request)
        before = request.session.get(SESSION_KEY)
        response = self.get_response(request)
        after = request.session.get(SESSION_KEY)
        if after and after != before and request.user.is_authenticated:
            notice_sign_in(user=request.user, request=request, response=response)
        return response


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, choosing the language our way (apps.accounts.languages).

    After sessions and authentication, since a person's saved choice counts. Machine requests
    (the API, the OAuth protocol endpoints) always answer in settings.LANGUAGE_CODE, with no
    `Vary: Accept-Language`: their error descriptions are a contract with developers, and an
    OAuth error_description may hold ASCII only (RFC 6749 5.2). The language is set for them
    all the same, because a thread keeps the last one activated.
    """

    def process_request(self, request: HttpRequest) -> None:
        language = settings.LANGUAGE_CODE if is_machine_request(request) else choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_machine_request(request):
            return response
        return super().process_response(request, response)
