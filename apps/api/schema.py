"""OpenAPI: the OAuth 2 flows with their scopes, and the personal API-key scheme."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenAuthenticationScheme(DjangoOAuthToolkitScheme):
    """DOT's scheme: flows, catalogue scopes, and what our `TokenHasScope` asks per method."""

    target_class = "apps.api.authentication.TokenAuthentication"
    priority = 1

    def get_security_requirement(self, auto_schema):
        # A view without a scope check (AllowAny) still takes a token: an empty requirement.
        return super().get_security_requirement(auto_schema) or {self.name: []}


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.CountedAPIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "gatehouse_<id>_<secret><checksum>",
            "description": (
                "A personal API key from /settings/api-keys/, sent as `Authorization: Bearer gatehouse_…` "
                "(keys issued before read `gh_pat_…` and still work). It carries the scopes chosen when "
                "it was created; each operation needs the same scopes as with an OAuth token."
            ),
        }
