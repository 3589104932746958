"""The Sign-in methods page: linked providers, connect, disconnect (never the last way in)."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from social_django.models import UserSocialAuth

from apps.audit.models import AuditEvent

PAGE = reverse("identities:sign-in-methods")


def link(user, provider: str, uid: str, **extra) -> UserSocialAuth:
    return UserSocialAuth.objects.create(user=user, provider=provider, uid=uid, extra_data=extra)


def disconnect_url(identity: UserSocialAuth) -> str:
    return reverse("identities:disconnect", args=[identity.pk])


def test_page_lists_linked_providers_with_account_name_email_and_date(auth_client, user):
    identity = link(user, "github", "1", account_name="Ada L.", account_email="ada@users.github.example")

    response = auth_client.get(PAGE)

    assertContains(response, "<h1>Sign-in methods</h1>", html=True)
    assertContains(response, "<strong>GitHub</strong>", html=True)
    assertContains(response, "Ada L.")
    assertContains(response, "ada@users.github.example")
    assertContains(response, f'<time datetime="{identity.created:%Y-%m-%dT%H:%M:%S}')
    assertContains(response, f'action="{disconnect_url(identity)}"')


def test_page_offers_to_connect_the_providers_not_linked_yet(auth_client, user):
    link(user, "github", "1")

    response = auth_client.get(PAGE)

    for provider in ("google-oauth2", "facebook", "oidc"):
        assertContains(response, f'action="{reverse("social:begin", args=[provider])}"')
    assertNotContains(response, f'action="{reverse("social:begin", args=["github"])}"')
    assertContains(response, "Connect Acme SSO")


def test_page_without_linked_providers_says_so(auth_client):
    assertContains(auth_client.get(PAGE), "No accounts connected yet.")


def test_page_needs_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("count", [1, 50])
def test_page_query_count_does_not_grow_with_linked_providers(
    auth_client, user, count, django_assert_max_num_queries
):
    UserSocialAuth.objects.bulk_create(
        UserSocialAuth(user=user, provider="github", uid=str(n), extra_data={}) for n in range(count)
    )
    # 10: the saved language (apps.accounts.languages) is read from the database on a cold cache.
    with django_assert_max_num_queries(10):
        response = auth_client.get(PAGE)
    assert response.content.count(b"<strong>GitHub</strong>") == count


def test_last_method_shows_no_disconnect_button(auth_client, user):
    user.set_unusable_password()
    user.save()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    identity = link(user, "github", "1")

    response = auth_client.get(PAGE)

    assertContains(response, "Only way to sign in")
    assertNotContains(response, disconnect_url(identity))
    assertContains(response, f'href="{reverse("account_set_password")}"')


# Disconnect: POST-only action (STYLE: owner works, other user 404, anonymous to login, GET 405).


def test_owner_disconnects_a_provider(auth_client, user):
    identity = link(user, "github", "1")

    response = auth_client.post(disconnect_url(identity))

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert not UserSocialAuth.objects.filter(pk=identity.pk).exists()
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.IDENTITY_UNLINKED)
    assert event.data == {"provider": "github", "provider_name": "GitHub"}
    assertContains(auth_client.get(PAGE), "GitHub is disconnected.")


def test_other_users_identity_is_404(auth_client, other_user):
    identity = link(other_user, "github", "1")

    assert auth_client.post(disconnect_url(identity)).status_code == 404
    assert UserSocialAuth.objects.filter(pk=identity.pk).exists()


def test_anonymous_disconnect_goes_to_sign_in(client, user):
    identity = link(user, "github", "1")

    response = client.post(disconnect_url(identity))

    assert response["Location"].startswith(reverse("account_login"))
    assert UserSocialAuth.objects.filter(pk=identity.pk).exists()


def test_disconnect_by_get_is_405(auth_client, user):
    identity = link(user, "github", "1")

    assert auth_client.get(disconnect_url(identity)).status_code == 405


def test_disconnecting_the_last_sign_in_method_is_refused(auth_client, user):
    user.set_unusable_password()
    user.save()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    identity = link(user, "github", "1")

    response = auth_client.post(disconnect_url(identity), follow=True)

    assert UserSocialAuth.objects.filter(pk=identity.pk).exists()
    assertContains(response, "This is your only way to sign in, so it cannot be disconnected.")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.IDENTITY_UNLINKED).exists()


def test_disconnecting_one_of_two_providers_without_a_password_works(auth_client, user):
    user.set_unusable_password()
    user.save()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    github = link(user, "github", "1")
    google = link(user, "google-oauth2", "2")

    auth_client.post(disconnect_url(github))

    assert list(UserSocialAuth.objects.filter(user=user)) == [google]
    assert auth_client.post(disconnect_url(google)).status_code == 302
    assert UserSocialAuth.objects.filter(pk=google.pk).exists()


def test_a_provider_that_is_no_longer_configured_does_not_count_as_a_way_in(auth_client, user, settings):
    user.set_unusable_password()
    user.save()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    github = link(user, "github", "1")
    link(user, "myspace", "2")

    auth_client.post(disconnect_url(github))

    assert UserSocialAuth.objects.filter(pk=github.pk).exists()


def test_social_auths_own_disconnect_url_is_audited_and_keeps_the_last_method(auth_client, user):
    user.set_unusable_password()
    user.save()
    auth_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    github = link(user, "github", "1")
    link(user, "google-oauth2", "2")

    auth_client.post(reverse("social:disconnect", args=["github"]))
    response = auth_client.post(reverse("social:disconnect", args=["google-oauth2"]))

    assert not UserSocialAuth.objects.filter(pk=github.pk).exists()
    assert UserSocialAuth.objects.filter(provider="google-oauth2").exists()
    assert response.status_code == 302
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.IDENTITY_UNLINKED).count() == 1


# Provider buttons on the sign-in and sign-up pages.


@pytest.mark.parametrize("page", ["account_login", "account_signup"])
def test_sign_in_and_sign_up_pages_have_a_post_button_per_provider(client, page):
    response = client.get(reverse(page))

    for provider, title, mark in [
        ("google-oauth2", "Google", "google"),
        ("github", "GitHub", "github"),
        ("facebook", "Facebook", "facebook"),
        ("oidc", "Acme SSO", "oidc"),
    ]:
        assertContains(response, f'<form method="post" action="{reverse("social:begin", args=[provider])}">')
        assertContains(response, f"Continue with {title}")
        assertContains(response, f'src="/static/img/providers/{mark}.svg"')


def test_sign_in_button_carries_the_next_page(client):
    response = client.get(reverse("account_login"), {"next": "/o/authorize/?client_id=x"})

    assertContains(response, '<input type="hidden" name="next" value="/o/authorize/?client_id=x">', html=True)


def test_no_buttons_when_no_provider_is_configured(client, settings):
    settings.AUTHENTICATION_BACKENDS = settings.AUTHENTICATION_BACKENDS[:2]

    response = client.get(reverse("account_login"))

    assertNotContains(response, "Continue with")
    assertContains(response, "Sign in")
