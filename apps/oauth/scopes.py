"""DOT's scopes backend (OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]): the scope catalogue
(apps.core.scopes), narrowed to the scopes each application's developer allowed."""

from functools import cache

from django.utils.translation import get_language
from oauth2_provider.scopes import BaseScopes

from apps.core.scopes import CATALOGUE


@cache
def _descriptions(language: str | None) -> dict[str, str]:
    # str(): the catalogue's descriptions are lazy translations; DOT wants plain strings. Once
    # per language: DOT asks on every token validation (`AccessToken.scopes`).
    return {name: str(scope.description) for name, scope in CATALOGUE.items()}


class CatalogueScopes(BaseScopes):
    """DOT scopes backend: the catalogue, narrowed to what each application is allowed."""

    def get_all_scopes(self) -> dict[str, str]:
        return dict(_descriptions(get_language()))

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is None:
            return list(CATALOGUE)
        return [name for name in CATALOGUE if name in application.allowed_scope_set]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return [name for name in self.get_available_scopes(application) if CATALOGUE[name].default]
