"""Connected apps: see what you granted, take one scope, one app or every app back."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from apps.audit.models import AuditEvent
from apps.oauth.models import Application, Consent
from tests.oauth.consent_support import redirect_query, screen_for, submit, token_for, userinfo_status
from tests.oauth_flow import exchange_code, introspect, make_client, obtain_tokens, refresh

HTMX = {"HTTP_HX_REQUEST": "true"}
SCOPES = ["openid", "profile", "email", "read", "write"]
# The list's query budget at 1 and 50 apps: tests/oauth/test_query_budgets.py.


@pytest.fixture
def second_app(developer) -> Application:
    return make_client(
        developer,
        name="Album Maker",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=SCOPES,
        verification=Application.Verification.VERIFIED,
    )


def is_active(client, introspecting_app, token: str) -> bool:
    response = introspect(client, token, client_id=introspecting_app.client_id)
    assert response.status_code == 200, response.content
    return response.json()["active"]


def grant(client, user, application, scope="openid profile email read") -> dict:
    """Tokens for `user` through the real flow; leaves `client` signed in as `user`."""
    tokens = obtain_tokens(client, user=user, application=application, scope=scope)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return tokens


# --- The list and the detail page --------------------------------------------------------------


def test_list_shows_a_card_per_app_with_what_it_can_do(client, user, application, second_app):
    grant(client, user, application)
    grant(client, user, second_app, scope="openid email")
    response = client.get(reverse("oauth:connected-apps"))
    assertContains(response, "<h1>Connected apps</h1>", html=True)
    assertContains(
        response, f'<a href="/connected-apps/{application.client_id}/">Photo Printer</a>', html=True
    )
    assertContains(response, f'<a href="/connected-apps/{second_app.client_id}/">Album Maker</a>', html=True)
    assertContains(response, '<li class="scope-chip scope-chip-read">Read your account</li>', html=True)
    assertContains(response, "Until you revoke it", count=2)
    assertContains(response, "by Dev Eloper", count=2)
    assertContains(response, "2 apps can use your account.")


def test_list_without_apps_says_so(auth_client):
    response = auth_client.get(reverse("oauth:connected-apps"))
    assertContains(response, "No apps can use your account.")
    assertNotContains(response, "Revoke all")


def test_list_is_only_the_users_own(client, user, other_user, application):
    grant(client, other_user, application)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assertContains(client.get(reverse("oauth:connected-apps")), "No apps can use your account.")


def test_list_fragment_for_htmx(client, user, application):
    grant(client, user, application)
    response = client.get(reverse("oauth:connected-apps"), **HTMX)
    assertContains(response, '<section id="app-list"')
    assertNotContains(response, "<html")


def test_a_this_time_only_app_is_listed_while_its_tokens_live(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    screen, verifier = screen_for(client, application)
    token_for(client, application, submit(client, screen, remember="once"), verifier)
    assertContains(client.get(reverse("oauth:connected-apps")), "This time only")
    for token in application.accesstoken_set.all():
        token.revoke()
    assertContains(client.get(reverse("oauth:connected-apps")), "No apps can use your account.")


def test_an_app_stays_listed_after_its_tokens_expire(client, user, application):
    grant(client, user, application)
    for token in application.accesstoken_set.all():
        token.revoke()
    assertContains(client.get(reverse("oauth:connected-apps")), "Photo Printer")


def test_detail_page_shows_scopes_with_remove_buttons_except_required_ones(client, user, application):
    grant(client, user, application)
    response = client.get(reverse("oauth:connected-app", args=[application.client_id]))
    assertContains(response, "<h1 id=app-title>Photo Printer</h1>", html=True)
    for scope in ("profile", "email", "read"):
        assertContains(response, f'action="/connected-apps/{application.client_id}/scopes/{scope}/remove/"')
    assertNotContains(response, "/scopes/openid/remove/")
    assertContains(response, "Needed by the app")


def test_other_users_app_pages_are_404(client, user, other_user, application):
    grant(client, other_user, application)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for name in ("oauth:connected-app", "oauth:confirm-revoke-access"):
        assert client.get(reverse(name, args=[application.client_id])).status_code == 404


def test_pages_send_anonymous_users_to_sign_in(client, application):
    for url in (
        reverse("oauth:connected-apps"),
        reverse("oauth:connected-app", args=[application.client_id]),
        reverse("oauth:confirm-revoke-access", args=[application.client_id]),
        reverse("oauth:confirm-revoke-all"),
    ):
        assert client.get(url)["Location"].startswith("/accounts/login/"), url


# --- Revoke one app ----------------------------------------------------------------------------


def test_confirm_page_without_javascript_explains_and_posts(client, user, application):
    grant(client, user, application)
    response = client.get(reverse("oauth:confirm-revoke-access", args=[application.client_id]))
    assertContains(response, "<h1>Revoke Photo Printer's access?</h1>", html=True)
    assertContains(response, f'<form method="post" action="/connected-apps/{application.client_id}/revoke/"')
    assertNotContains(response, "<dialog")


def test_confirm_for_htmx_is_a_dialog(client, user, application):
    grant(client, user, application)
    response = client.get(reverse("oauth:confirm-revoke-access", args=[application.client_id]), **HTMX)
    assertContains(response, '<dialog id="revoke-dialog" data-auto-open')
    assertContains(response, 'hx-target="#app-list"')
    assertNotContains(response, "<html")


def test_revoke_kills_every_token_and_forgets_the_consent(client, user, application, introspecting_app):
    tokens = grant(client, user, application)
    assert is_active(client, introspecting_app, tokens["access_token"])
    response = client.post(reverse("oauth:revoke-access", args=[application.client_id]))
    assertRedirects(response, reverse("oauth:connected-apps"), fetch_redirect_response=False)
    assertContains(client.get(response["Location"]), "Photo Printer can no longer access your account.")
    assert not is_active(client, introspecting_app, tokens["access_token"])
    assert userinfo_status(client, tokens["access_token"]) == 401
    assert refresh(client, application, tokens["refresh_token"]).status_code == 400
    assert not Consent.objects.exists()
    assert not application.accesstoken_set.exists()
    assert not application.idtoken_set.exists()
    assert not application.refreshtoken_set.filter(revoked__isnull=True).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCESS_REVOKED)
    assert event.user == user and event.data["application"] == "Photo Printer"


def test_revoke_kills_unused_authorization_codes(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    screen, verifier = screen_for(client, application)
    code_response = submit(client, screen)
    client.post(reverse("oauth:revoke-access", args=[application.client_id]))
    code = redirect_query(code_response)["code"]
    assert exchange_code(client, application, code=code, verifier=verifier).status_code == 400


def test_revoke_through_htmx_returns_the_list_without_the_card(client, user, application, second_app):
    grant(client, user, application)
    grant(client, user, second_app)
    response = client.post(
        reverse("oauth:revoke-access", args=[application.client_id]), HTTP_HX_TARGET="app-list", **HTMX
    )
    assert response.status_code == 200
    assertNotContains(response, "<html")
    assertNotContains(response, f"/connected-apps/{application.client_id}/")
    assertContains(response, "Album Maker")
    assertContains(response, "Photo Printer can no longer access your account.")
    assertContains(response, 'hx-swap-oob="true"')


def test_revoke_of_another_users_app_is_404(client, user, other_user, application, introspecting_app):
    tokens = grant(client, other_user, application)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(reverse("oauth:revoke-access", args=[application.client_id])).status_code == 404
    assert is_active(client, introspecting_app, tokens["access_token"])


def test_revoke_sends_anonymous_users_to_sign_in(client, application):
    response = client.post(reverse("oauth:revoke-access", args=[application.client_id]))
    assert response["Location"].startswith("/accounts/login/")


def test_revoke_by_get_is_405(auth_client, application):
    assert auth_client.get(reverse("oauth:revoke-access", args=[application.client_id])).status_code == 405


# --- Remove one scope --------------------------------------------------------------------------


def test_remove_scope_narrows_the_consent_and_kills_tokens_carrying_it(
    client, user, application, introspecting_app
):
    with_email = grant(client, user, application, scope="openid profile email")
    without_email = grant(client, user, application, scope="openid profile")  # remembered, no screen
    url = reverse("oauth:remove-scope", args=[application.client_id, "email"])
    response = client.post(url)
    assertRedirects(response, reverse("oauth:connected-app", args=[application.client_id]))
    assert Consent.objects.get().scopes == ["openid", "profile"]
    assert not is_active(client, introspecting_app, with_email["access_token"])
    assert refresh(client, application, with_email["refresh_token"]).status_code == 400
    assert is_active(client, introspecting_app, without_email["access_token"])
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.CONSENT_CHANGED).data["removed_scope"] == "email"
    # The app must ask again for it.
    assert screen_for(client, application, scope="openid email")[0].status_code == 200


def test_remove_scope_through_htmx_returns_the_scope_list(client, user, application):
    grant(client, user, application)
    response = client.post(reverse("oauth:remove-scope", args=[application.client_id, "read"]), **HTMX)
    assert response.status_code == 200
    assertContains(response, '<section id="granted-scopes"')
    assertNotContains(response, "<html")
    assertNotContains(response, "/scopes/read/remove/")
    assertContains(response, "Photo Printer no longer has access to: Read your account.")


def test_removing_a_required_scope_is_refused(client, user, application):
    grant(client, user, application)
    response = client.post(reverse("oauth:remove-scope", args=[application.client_id, "openid"]), follow=True)
    assertContains(response, "needs this permission to work")
    assert "openid" in Consent.objects.get().scopes


def test_removing_the_last_scope_revokes_the_app(client, user, application):
    grant(client, user, application, scope="read")
    response = client.post(reverse("oauth:remove-scope", args=[application.client_id, "read"]))
    assertRedirects(response, reverse("oauth:connected-apps"))
    assert not Consent.objects.exists()


def test_remove_scope_of_another_users_app_is_404(client, user, other_user, application):
    grant(client, other_user, application)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert (
        client.post(reverse("oauth:remove-scope", args=[application.client_id, "email"])).status_code == 404
    )
    assert "email" in Consent.objects.get().scopes


def test_remove_scope_sends_anonymous_users_to_sign_in(client, application):
    response = client.post(reverse("oauth:remove-scope", args=[application.client_id, "email"]))
    assert response["Location"].startswith("/accounts/login/")


def test_remove_scope_by_get_is_405(auth_client, application):
    assert (
        auth_client.get(reverse("oauth:remove-scope", args=[application.client_id, "email"])).status_code
        == 405
    )


# --- Revoke all --------------------------------------------------------------------------------


def test_confirm_revoke_all_lists_the_apps(client, user, application, second_app):
    grant(client, user, application)
    grant(client, user, second_app)
    response = client.get(reverse("oauth:confirm-revoke-all"))
    assertContains(response, "<h1>Revoke every app's access?</h1>", html=True)
    assertContains(response, "<li>Album Maker</li>", html=True)
    assertContains(response, "<li>Photo Printer</li>", html=True)
    dialog = client.get(reverse("oauth:confirm-revoke-all"), **HTMX)
    assertContains(dialog, '<dialog id="revoke-all-dialog" data-auto-open')


def test_revoke_all_kills_every_apps_tokens(
    client, user, other_user, application, second_app, introspecting_app
):
    first = grant(client, user, application)
    second = grant(client, user, second_app)
    someone_else = grant(client, other_user, application)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("oauth:revoke-all"))
    assertRedirects(response, reverse("oauth:connected-apps"), fetch_redirect_response=False)
    assertContains(client.get(response["Location"]), "Access revoked for 2 apps.")
    assert not is_active(client, introspecting_app, first["access_token"])
    assert not is_active(client, introspecting_app, second["access_token"])
    assert userinfo_status(client, second["access_token"]) == 401
    assert is_active(client, introspecting_app, someone_else["access_token"])
    assert list(Consent.objects.values_list("user", flat=True)) == [other_user.pk]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS_REVOKED, user=user).count() == 2


def test_revoke_all_through_htmx_returns_the_empty_list(client, user, application):
    grant(client, user, application)
    response = client.post(reverse("oauth:revoke-all"), HTTP_HX_TARGET="app-list", **HTMX)
    assertContains(response, "No apps can use your account.")
    assertNotContains(response, "<html")


def test_revoke_all_leaves_other_users_alone(client, user, other_user, application, introspecting_app):
    theirs = grant(client, other_user, application)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(reverse("oauth:revoke-all")).status_code == 302
    assert is_active(client, introspecting_app, theirs["access_token"])


def test_revoke_all_sends_anonymous_users_to_sign_in(client):
    assert client.post(reverse("oauth:revoke-all"))["Location"].startswith("/accounts/login/")


def test_revoke_all_by_get_is_405(auth_client):
    assert auth_client.get(reverse("oauth:revoke-all")).status_code == 405


def test_a_developer_without_a_name_is_shown_by_the_apps_domain_never_their_address(
    client, user, application, developer
):
    developer.first_name = developer.last_name = ""
    developer.save()
    grant(client, user, application)
    for page in (
        reverse("oauth:connected-apps"),
        reverse("oauth:connected-app", args=[application.client_id]),
    ):
        response = client.get(page)
        assertContains(response, "by printer.example.com")
        assertNotContains(response, "dev@example.com")
