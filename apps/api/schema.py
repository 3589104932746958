"""OpenAPI: the OAuth 2 flows with their scopes, and the personal API-key scheme."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from apps.api.permissions import TokenHasScope, required_scopes


class TokenAuthenticationScheme(DjangoOAuthToolkitScheme):
    """DOT's scheme (flows and catalogue scopes), with the scopes our permission asks per method."""

    target_class = "apps.api.authentication.TokenAuthentication"
    priority = 1

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        if not any(isinstance(p, TokenHasScope) for p in view.get_permissions()):
            return {self.name: []}
        return {self.name: required_scopes(view.request, view)}


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.apikeys.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "gh_pat_<id>_<secret>",
            "description": (
                "A personal API key from /settings/api-keys/, sent as `Authorization: Bearer gh_pat_…`. "
                "It carries the scopes chosen when it was created; each operation needs the same "
                "scopes as with an OAuth token."
            ),
        }
