"""DOT's scopes backend (OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]): the scope catalogue
(apps.core.scopes), narrowed to the scopes each application's developer allowed."""

from oauth2_provider.scopes import BaseScopes

from apps.core.scopes import CATALOGUE


class CatalogueScopes(BaseScopes):
    """DOT scopes backend: the catalogue, narrowed to what each application is allowed."""

    def get_all_scopes(self) -> dict[str, str]:
        # str(): the catalogue's descriptions are lazy translations; DOT wants plain strings.
        return {name: str(scope.description) for name, scope in CATALOGUE.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is None:
            return list(CATALOGUE)
        return [name for name in CATALOGUE if name in application.allowed_scope_set]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return [name for name in self.get_available_scopes(application) if CATALOGUE[name].default]
