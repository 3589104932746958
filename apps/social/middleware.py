"""Social sign-in failures end on a page with a clear message and a way back, never a 500."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from social_core.exceptions import SocialAuthBaseException
from social_django.middleware import SocialAuthExceptionMiddleware

from apps.social.providers import provider_title

TRY_AGAIN = gettext_lazy(
    "That sign-in attempt has expired or was started in another window. Please try again."
)
PROVIDER_DOWN = gettext_lazy("{provider} is not responding right now. Please try again in a few minutes.")

# Lazy: translated when shown, in the language of the request. {provider} and {site} are filled in
# by str.format (translators keep them as they are).
# social-core's stable error codes (social_core.exceptions.REASONS) → what we tell people.
MESSAGES = {
    "authorization_declined": gettext_lazy("Signing in with {provider} was cancelled. Nothing was changed."),
    "state_mismatch": TRY_AGAIN,
    "session_context_missing": TRY_AGAIN,
    "missing_parameter": TRY_AGAIN,
    "nonce_mismatch": TRY_AGAIN,
    "response_expired": TRY_AGAIN,
    "authorization_code_rejected": TRY_AGAIN,
    "identity_in_use": gettext_lazy(
        "This {provider} account is already connected to another {site} account. "
        "Sign in to that account to use it, or disconnect it there first."
    ),
    "email_in_use": gettext_lazy(
        "An account with this email address already exists. Sign in to it first, then connect "
        "{provider} on the Sign-in methods page."
    ),
    "profile_email_missing": gettext_lazy(
        "{provider} did not share an email address. Allow access to your email address, "
        "or create an account with your email address and a password."
    ),
    "disconnect_disallowed": gettext_lazy(
        "This is your only way to sign in, so it cannot be disconnected. "
        "Set a password or connect another account first."
    ),
    "email_verification_rejected": gettext_lazy(
        "That confirmation link has expired or was already used. Sign in with {provider} again "
        "to get a new one."
    ),
    "timeout": PROVIDER_DOWN,
    "connection_failed": PROVIDER_DOWN,
    "unavailable": PROVIDER_DOWN,
    "rate_limited": PROVIDER_DOWN,
    "tls_error": PROVIDER_DOWN,
}
UNVERIFIED = gettext_lazy(
    "{provider} has not confirmed your email address yet. Confirm it there, then try again."
)
DEFAULT = gettext_lazy("Signing in with {provider} did not work. Please try again, or sign in another way.")


class SocialAuthErrorMiddleware(SocialAuthExceptionMiddleware):
    """social_django's middleware, with our wording and back to where the person came from."""

    def get_message(self, request: HttpRequest, exception: Exception) -> str:
        if not isinstance(exception, SocialAuthBaseException):
            return super().get_message(request, exception)
        text = UNVERIFIED if exception.claim == "email_verified" else MESSAGES.get(exception.code, DEFAULT)
        backend = getattr(request, "backend", None)
        provider = provider_title(backend.name) if backend is not None else gettext("The provider")
        return text.format(provider=provider, site=settings.SITE_NAME)

    def dispatch_error(
        self, request: HttpRequest, transports, url, message: str, backend_name: str, **kwargs
    ):
        # A plain error message, styled like every other one (no extra tags).
        messages.error(request, message)
        return url

    def get_redirect_uri(self, request: HttpRequest, exception: Exception) -> str:
        # Connecting from the Sign-in methods page goes back there; a sign-in goes back to sign-in.
        if request.user.is_authenticated:
            return reverse("identities:sign-in-methods")
        return reverse("account_login")
