"""Scope checks for OAuth tokens and API keys alike, on DOT's `TokenHasScope`.

DOT compares scopes as whole names (`token.is_valid(scopes)`), and an API key offers the same
`scope`, `is_valid` and `allow_scopes` as DOT's AccessToken, so DOT's check serves both. What
we add: read or write scopes chosen by HTTP method, an RFC 6750 `insufficient_scope` answer that
names the scopes, and `admin` only for staff users.
"""

from oauth2_provider.contrib.rest_framework import permissions as dot
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


class TokenHasScope(dot.TokenHasScope):
    """DOT's check that the credential carries every scope this method of the view requires.

    A view's `required_scopes` is a list for every method, or {"read": [...], "write": [...]}.
    """

    def get_scopes(self, request, view) -> list[str]:
        scopes = super().get_scopes(request, view)  # ImproperlyConfigured without required_scopes
        if isinstance(scopes, dict):
            return list(scopes["read" if request.method in SAFE_METHODS else "write"])
        return list(scopes)

    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            return False  # DRF answers NotAuthenticated (401)
        scopes = self.get_scopes(request, view)
        if not super().has_permission(request, view):
            if not request.auth.allow_scopes(scopes):
                raise InsufficientScope(scopes)
            return False
        if ADMIN_SCOPE in scopes and not request.user.is_staff:
            raise PermissionDenied("The admin scope works only for staff users.")
        return True


class IsUser(BasePermission):
    """The credential acts for a user (a client-credentials token acts only for its app)."""

    message = "This endpoint acts for a user: use a token a user granted, or a personal API key."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
