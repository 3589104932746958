from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

from apps.accounts.services import note_session_activity, notice_sign_in


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
