"""Audit of the social sign-ins allauth finishes (after any second factor)."""

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from apps.audit.models import AuditEvent
from apps.audit.services import record


@receiver(user_logged_in, dispatch_uid="gatehouse-social-signed-in")
def social_signed_in(sender, request, user, social_provider=None, **kwargs):
    # `social_provider` travels in allauth's Login.signal_kwargs (apps.social.pipeline).
    if social_provider:
        record(AuditEvent.Kind.SOCIAL_SIGNED_IN, user=user, request=request, provider=social_provider)
