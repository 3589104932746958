"""The one way to write an audit event."""

import logging
from typing import Any

from django.http import HttpRequest

from apps.audit.models import AuditEvent
from apps.core import metrics
from apps.core.http import client_ip  # core owns it (core may use it); callers still import it here

log = logging.getLogger("gatehouse.audit")

# Values that must never reach the audit trail, whatever a caller passes in `data`.
_SECRET_KEYS = {
    "password",
    "token",
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
    "key",
    "secret",
}


def record(
    kind: AuditEvent.Kind | str,
    *,
    user=None,
    request: HttpRequest | None = None,
    **data: Any,
) -> AuditEvent:
    """Record a security-relevant action for `user` (the person it concerns)."""
    data = {k: v for k, v in data.items() if k not in _SECRET_KEYS}
    if user is not None and not getattr(user, "pk", None):
        user = None
    event = AuditEvent.objects.create(
        kind=kind,
        user=user,
        subject=str(user.pk) if user is not None else "",
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        data=data,
    )
    log.info("audit %s user=%s", kind, event.subject or "-")
    _count(kind, data)
    return event


def _count(kind: AuditEvent.Kind | str, data: dict[str, Any]) -> None:
    """The event in the metrics: its kind (a closed set), and sign-ins by outcome."""
    metrics.audit_event(str(kind) if kind in AuditEvent.Kind.values else "other")
    if kind == AuditEvent.Kind.SIGNED_IN:
        metrics.sign_in(success=True)
    elif kind == AuditEvent.Kind.SIGN_IN_FAILED:
        # allauth's password check records no step; the second-factor hook names its own.
        metrics.sign_in(success=False, step=str(data.get("step", "password")))
