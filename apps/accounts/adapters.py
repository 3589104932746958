from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from apps.audit.models import AuditEvent
from apps.audit.services import record


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks: failed sign-ins go to the audit trail of the account they targeted."""

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = credentials.get("email") or credentials.get("username") or ""
        user = get_user_model().objects.filter(email__iexact=email).first() if email else None
        # The attempted address is not stored: it may be a typo of someone else's address.
        record(AuditEvent.Kind.SIGN_IN_FAILED, user=user, request=request)
