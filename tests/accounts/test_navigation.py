"""The account-settings side navigation: one context processor, whichever app's page shows it."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from tests.accounts.conftest import reauthenticate
from tests.oauth_flow import obtain_tokens

pytestmark = pytest.mark.django_db


def current_link(url: str, label: str) -> str:
    return f'<a href="{url}" aria-current="page">{label}</a>'


@pytest.mark.parametrize(
    ("page", "label"),
    [
        ("accounts:profile", "Profile"),
        ("accounts:security", "Security"),
        ("identities:sign-in-methods", "Sign-in methods"),
        ("oauth:connected-apps", "Connected apps"),
        ("audit:security-log", "Security log"),
    ],
)
def test_each_settings_page_marks_its_own_link(auth_client, page, label):
    assertContains(auth_client.get(reverse(page)), current_link(reverse(page), label), html=True)


def test_deleting_the_account_is_under_security(auth_client):
    reauthenticate(auth_client)
    response = auth_client.get(reverse("accounts:delete-account"))
    assertContains(response, current_link(reverse("accounts:security"), "Security"), html=True)


def test_one_connected_app_is_under_connected_apps(client, user, application):
    obtain_tokens(client, user=user, application=application, scope="openid read")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("oauth:connected-app", args=[application.client_id]))
    assertContains(response, current_link(reverse("oauth:connected-apps"), "Connected apps"), html=True)


def test_the_links_follow_the_settings_pages_in_order(auth_client):
    response = auth_client.get(reverse("accounts:profile"))
    labels = [link["label"] for link in response.context["settings_nav"]()]
    assert labels == ["Profile", "Security", "Sign-in methods", "Connected apps", "API keys", "Security log"]
