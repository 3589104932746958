from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.requests import RequestSite
from django.http import HttpRequest
from django.urls import reverse

from apps.accounts.devices import describe_user_agent
from apps.accounts.sessions import signed_out, stored_session_id
from apps.audit.models import AuditEvent
from apps.audit.services import record


def user_display(user) -> str:
    """ACCOUNT_USER_DISPLAY: the name a person chose, else their address, never the internal username."""
    return user.display_name


def _with_webauthn_key(request, context: dict[str, Any] | None) -> dict[str, Any] | None:
    """The key allauth's webauthn message or email is about (apps.accounts.receivers)."""
    key = getattr(request, "gatehouse_webauthn_key", None)
    return {"key": key, **(context or {})} if key else context


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks: failed sign-ins go to the audit trail of the account they targeted."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Without django.contrib.sites the "site" is the request's host: mails would greet
        # with "Hello from 127.0.0.1:8000!". They speak as the product instead.
        site = RequestSite(allauth_context.request)
        site.name = settings.SITE_NAME
        super().send_mail(template_prefix, email, {"current_site": site, **context})

    def add_message(self, request, level, message_template=None, message_context=None, **kwargs) -> None:
        super().add_message(
            request, level, message_template, _with_webauthn_key(request, message_context), **kwargs
        )

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        super().send_notification_mail(
            template_prefix, user, _with_webauthn_key(self.request, context), email=email
        )

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = credentials.get("email") or credentials.get("username") or ""
        user = get_user_model().objects.filter(email__iexact=email).first() if email else None
        # The attempted address is not stored: it may be a typo of someone else's address.
        record(AuditEvent.Kind.SIGN_IN_FAILED, user=user, request=request, step="password")

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        # Back to the page the user started from, where the new "last changed" date shows.
        return reverse("accounts:security")


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    """Every session ended from a settings page (ours or allauth's) is in the security log."""

    def end_sessions(self, sessions) -> None:
        request = allauth_context.request
        users = {}  # sessions ended together are one user's: load them once
        for session in sessions:
            if session.user_id not in users:
                users[session.user_id] = session.user
            # Read before it ends: the apps signed in through it hear of it (back-channel logout).
            sid = stored_session_id(session.session_key)
            session.end()
            signed_out(user=users[session.user_id], sid=sid, request=request)
            record(
                AuditEvent.Kind.SESSION_ENDED,
                user=users[session.user_id],
                request=request,
                device=describe_user_agent(session.user_agent),
            )
