"""allauth.mfa signals, kept for the messages and emails allauth sends about the same key."""

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.dispatch import receiver


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
