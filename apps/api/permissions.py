"""Scope checks for OAuth tokens and API keys alike (both offer DOT's `allow_scopes`).

The recipe's `'admin' in token.scope` is true for a scope named `no_admin`; here scopes are
compared as whole names, read or write scopes are chosen by HTTP method, and `admin` also
needs a staff user.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

ADMIN_SCOPE = "admin"


class InsufficientScope(PermissionDenied):
    """403 with RFC 6750 `insufficient_scope`; `scopes` go into the `WWW-Authenticate` challenge."""

    default_code = "insufficient_scope"

    def __init__(self, scopes: list[str]):
        self.scopes = list(scopes)
        noun = "scope" if len(self.scopes) == 1 else "scopes"
        super().__init__(f"This request needs the {noun} {', '.join(self.scopes)}.", code=self.default_code)


def required_scopes(request, view) -> list[str]:
    """The view's `required_scopes`: a list for every method, or {"read": [...], "write": [...]}."""
    try:
        scopes = view.required_scopes
    except AttributeError:
        raise ImproperlyConfigured(f"{type(view).__name__} must set required_scopes.") from None
    if isinstance(scopes, dict):
        return list(scopes["read" if request.method in SAFE_METHODS else "write"])
    return list(scopes)


class TokenHasScope(BasePermission):
    """The credential carries every scope this method of the view requires."""

    def has_permission(self, request, view) -> bool:
        credential = request.auth
        if credential is None:
            return False  # DRF answers NotAuthenticated (401)
        scopes = required_scopes(request, view)
        if not credential.allow_scopes(scopes):
            raise InsufficientScope(scopes)
        if ADMIN_SCOPE in scopes and not request.user.is_staff:
            raise PermissionDenied("The admin scope works only for staff users.")
        return True


class IsUser(BasePermission):
    """The credential acts for a user (a client-credentials token acts only for its app)."""

    message = "This endpoint acts for a user: use a token a user granted, or a personal API key."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
