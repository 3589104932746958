"""The system check that holds OAUTH2_PROVIDER to what apps.oauth.supported says."""

import pytest
from django.core.management import call_command

from apps.oauth import supported
from apps.oauth.checks import settings_agree_with_what_is_supported


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_settings_agree_with_what_is_supported():
    assert settings_agree_with_what_is_supported(None) == []


def test_manage_py_check_passes():
    call_command("check", "--fail-level", "ERROR")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PKCE_REQUIRED", False),
        ("OAUTH2_GRANT_TYPES_SUPPORTED", [*supported.GRANT_TYPES, "password"]),
        ("OAUTH2_GRANT_TYPES_SUPPORTED", ["authorization_code"]),
        ("OIDC_RESPONSE_TYPES_SUPPORTED", ["code", "id_token"]),
        ("OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED", ["client_secret_basic"]),
        ("ALLOWED_REDIRECT_URI_SCHEMES", ["https", "http"]),
        ("ALLOW_URI_WILDCARDS", True),
    ],
)
def test_a_setting_that_disagrees_is_an_error_naming_it(settings, name, value):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, name: value}
    errors = settings_agree_with_what_is_supported(None)
    assert ids(errors) == ["gatehouse.E001"]
    assert name in errors[0].msg


def test_the_order_of_a_list_setting_does_not_matter(settings):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OAUTH2_GRANT_TYPES_SUPPORTED": list(reversed(supported.GRANT_TYPES)),
    }
    assert settings_agree_with_what_is_supported(None) == []
