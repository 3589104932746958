"""allauth and Django account signals, written to the audit trail (their documented hooks)."""

from allauth.account import signals as account_signals
from allauth.account.authentication import get_authentication_records
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from apps.audit.models import AuditEvent
from apps.audit.services import record

Kind = AuditEvent.Kind


@receiver(account_signals.user_signed_up)
def signed_up(sender, request, user, **kwargs):
    record(Kind.SIGNED_UP, user=user, request=request)


def sign_in_method(request, user) -> dict:
    """How this sign-in was proven, from allauth's record of the session's authentication steps."""
    records = get_authentication_records(request, user) if hasattr(request, "session") else []
    how: dict = {}
    for step in records:
        if step.get("reauthenticated"):
            continue
        method = step.get("method")
        if method == "mfa" and step.get("passwordless"):
            how["method"] = "passkey"
            how["passkey"] = _passkey_name(step.get("id"))
        elif method == "mfa":
            how["factor"] = step.get("type")
        elif method == "socialaccount":
            how["method"] = "provider"
            how["provider"] = step.get("provider")
            if step.get("provider_name"):
                how["provider_name"] = step["provider_name"]
        elif method in ("password", "code", "password_reset"):
            how["method"] = method
    return {k: v for k, v in how.items() if v}


def _passkey_name(pk) -> str:
    authenticator = Authenticator.objects.filter(pk=pk, type=Authenticator.Type.WEBAUTHN).first()
    return authenticator.wrap().name if authenticator else ""


@receiver(auth_signals.user_logged_in)
def signed_in(sender, request, user, **kwargs):
    # One row per sign-in, saying how: password, passkey or provider, and any second factor.
    record(Kind.SIGNED_IN, user=user, request=request, **sign_in_method(request, user))


@receiver(auth_signals.user_logged_out)
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(Kind.SIGNED_OUT, user=user, request=request)


@receiver(account_signals.password_changed)
@receiver(account_signals.password_set)
def password_changed(sender, request, user, **kwargs):
    record(Kind.PASSWORD_CHANGED, user=user, request=request)


@receiver(account_signals.password_reset)
def password_reset(sender, request, user, **kwargs):
    record(Kind.PASSWORD_RESET, user=user, request=request)


@receiver(account_signals.email_confirmed)
def email_confirmed(sender, request, email_address, **kwargs):
    record(Kind.EMAIL_CONFIRMED, user=email_address.user, request=request)


@receiver(account_signals.email_added)
def email_added(sender, request, user, email_address, **kwargs):
    record(Kind.EMAIL_ADDED, user=user, request=request)


@receiver(account_signals.email_removed)
def email_removed(sender, request, user, email_address, **kwargs):
    record(Kind.EMAIL_REMOVED, user=user, request=request)


@receiver(account_signals.email_changed)
def email_primary(sender, request, user, from_email_address, to_email_address, **kwargs):
    record(Kind.EMAIL_PRIMARY, user=user, request=request)


@receiver(mfa_signals.authenticator_added)
def mfa_added(sender, request, user, authenticator, **kwargs):
    record(Kind.MFA_ENABLED, user=user, request=request, type=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
def mfa_removed(sender, request, user, authenticator, **kwargs):
    record(Kind.MFA_DISABLED, user=user, request=request, type=authenticator.type)


@receiver(mfa_signals.authenticator_reset)
def mfa_reset(sender, request, user, authenticator, **kwargs):
    record(Kind.MFA_RECOVERY_CODES, user=user, request=request, type=authenticator.type)


@receiver(mfa_signals.authentication_failed, dispatch_uid="gatehouse-second-factor-failed")
def second_factor_failed(sender, request, user, authenticator, reauthentication=False, **kwargs):
    # The password (or provider) was right: a wrong code here is worth the owner's attention.
    record(
        Kind.SIGN_IN_FAILED,
        user=user,
        request=request,
        step="reauthentication" if reauthentication else "second_factor",
        factor=authenticator.type,
    )
