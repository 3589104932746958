"""Signal receivers: allauth.mfa's, kept for the messages and emails allauth sends about the
same key, and the sign-in that brings the person's saved language."""

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from apps.accounts.languages import UI_LOCALE_SESSION_KEY, requested_ui_locale, saved_language


@receiver(mfa_signals.authenticator_added, dispatch_uid="gatehouse-webauthn-added")
@receiver(mfa_signals.authenticator_removed, dispatch_uid="gatehouse-webauthn-removed")
def remember_webauthn_key(sender, request, authenticator, **kwargs):
    # allauth's "added"/"removed" message and email get no context: the adapter reads this, so
    # they can name the key and call a passkey a passkey (apps.accounts.adapters).
    if request is not None and authenticator.type == Authenticator.Type.WEBAUTHN:
        wrapped = authenticator.wrap()
        request.gatehouse_webauthn_key = {
            "name": wrapped.name,
            "passkey": wrapped.is_passwordless is not False,
        }


@receiver(user_logged_in, dispatch_uid="gatehouse-language-on-sign-in")
def speak_the_saved_language(sender, request, user, **kwargs):
    # From the sign-in on, the person's saved language, unless an app's ui_locales asked for
    # one during this sign-in (it keeps its pages); allauth's "signed in" message follows it.
    if request is None:
        return
    session = getattr(request, "session", None)
    kept = session.pop(UI_LOCALE_SESSION_KEY, None) if session is not None else None
    asked = requested_ui_locale(request) or kept
    if not asked and (language := saved_language(user)):
        translation.activate(language)
        request.LANGUAGE_CODE = language
