"""Client secrets: shown once, stored as hashes, several live at once, deleted ones stop working."""

import base64
import re

from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.oauth.models import Application, ClientSecret
from tests.developer.conftest import make_app
from tests.html import input_value
from tests.oauth_flow import obtain_tokens


def service_app(owner) -> Application:
    return make_app(
        owner,
        name="Nightly Sync",
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        redirect_uris="",
        allowed_scopes=["read"],
    )


def token_with(client, app, secret):
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return client.post(
        reverse("oauth2_provider:token"),
        {"grant_type": "client_credentials", "scope": "read"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def generate(client, app) -> str:
    response = client.post(reverse("developer:secret-create", args=[app.pk]))
    assert response.status_code == 200
    return input_value(response, "new-secret")


def test_a_new_secret_is_shown_once_and_never_again(dev_client, developer):
    app = service_app(developer)
    response = dev_client.post(reverse("developer:secret-create", args=[app.pk]))
    plaintext = input_value(response, "new-secret")
    assertContains(response, f'value="{plaintext}"')
    assertContains(response, "you will not see it again")
    assert "no-store" in response["Cache-Control"]
    stored = ClientSecret.objects.get(application=app)
    assert stored.last_four == plaintext[-4:] and plaintext not in stored.secret_hash
    pages = [
        reverse("developer:app-list"),
        reverse("developer:app-detail", args=[app.pk]),
        reverse("developer:app-edit", args=[app.pk]),
        reverse("developer:playground") + f"?app={app.pk}",
        reverse("developer:app-consent-preview", args=[app.pk]),
        reverse("audit:security-log"),
    ]
    for url in pages:
        page = dev_client.get(url)
        assert page.status_code == 200, url
        assert plaintext not in page.content.decode(), url
    assertContains(dev_client.get(pages[1]), f"••••••••{plaintext[-4:]}")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SECRET_CREATED)
    assert event.data["last_four"] == plaintext[-4:] and plaintext not in str(event.data)


def test_the_secret_never_appears_in_an_api_response(application, developer):
    developer_client, api_client = Client(), Client()
    token = obtain_tokens(api_client, user=developer, application=application, scope="openid read")[
        "access_token"
    ]
    developer_client.force_login(developer, backend="django.contrib.auth.backends.ModelBackend")
    plaintext = generate(developer_client, application)
    statuses = {
        "/api/me/": 200,
        "/api/tokens/": 200,
        "/api/connected-apps/": 200,
        f"/api/connected-apps/{application.client_id}/": 403,  # a `read` token may not revoke
        "/api/schema/": 200,
    }
    for path, status in statuses.items():
        response = api_client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == status, path
        assert plaintext not in response.content.decode(), path


def test_with_htmx_only_the_secret_panel_comes_back(dev_client, developer):
    app = service_app(developer)
    response = dev_client.post(
        reverse("developer:secret-create", args=[app.pk]), headers={"HX-Request": "true"}
    )
    assert b"<html" not in response.content
    assertContains(response, 'id="secret-panel"')
    plaintext = re.search(r'id="new-secret" value="([^"]+)"', response.content.decode()).group(1)
    assert ClientSecret.objects.get(application=app).last_four == plaintext[-4:]


def test_overlapping_secrets_both_authenticate_and_a_deleted_one_stops(dev_client, developer, client):
    app = service_app(developer)
    old, new = generate(dev_client, app), generate(dev_client, app)
    assert token_with(client, app, old).status_code == 200
    assert token_with(client, app, new).status_code == 200

    old_row = ClientSecret.objects.get(application=app, last_four=old[-4:])
    response = dev_client.post(reverse("developer:secret-delete", args=[app.pk, old_row.pk]))
    assert response.status_code == 302
    refused = token_with(client, app, old)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert token_with(client, app, new).status_code == 200
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SECRET_DELETED, data__last_four=old[-4:]).exists()


def test_secret_rows_show_created_and_last_used(dev_client, developer, client):
    app = service_app(developer)
    plaintext = generate(dev_client, app)
    assertContains(dev_client.get(reverse("developer:app-detail", args=[app.pk])), "never used")
    token_with(client, app, plaintext)
    assertContains(dev_client.get(reverse("developer:app-detail", args=[app.pk])), "last used")


def test_a_public_client_gets_no_secret(dev_client, developer):
    app = make_app(developer, client_type=Application.CLIENT_PUBLIC)
    response = dev_client.post(reverse("developer:secret-create", args=[app.pk]), follow=True)
    assertContains(response, "Public clients have no secret")
    assert not app.secrets.exists()


def test_deleting_a_secret_with_htmx_returns_the_panel(dev_client, application):
    secret = application.secrets.get()
    response = dev_client.post(
        reverse("developer:secret-delete", args=[application.pk, secret.pk]), headers={"HX-Request": "true"}
    )
    assert b"<html" not in response.content
    assertContains(response, "This app has no secret yet")
    assertNotContains(response, secret.last_four)


# --- the four tests of each POST action ------------------------------------------------------


def test_secret_create_works_for_the_owner(dev_client, application):
    dev_client.post(reverse("developer:secret-create", args=[application.pk]))
    assert application.secrets.count() == 2


def test_secret_create_is_404_for_another_user(other_client, application):
    assert other_client.post(reverse("developer:secret-create", args=[application.pk])).status_code == 404
    assert application.secrets.count() == 1


def test_secret_create_sends_anonymous_users_to_sign_in(client, application):
    response = client.post(reverse("developer:secret-create", args=[application.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_secret_create_refuses_get(dev_client, application):
    assert dev_client.get(reverse("developer:secret-create", args=[application.pk])).status_code == 405


def test_secret_delete_works_for_the_owner(dev_client, application):
    secret = application.secrets.get()
    dev_client.post(reverse("developer:secret-delete", args=[application.pk, secret.pk]))
    assert not application.secrets.exists()


def test_secret_delete_is_404_for_another_user(other_client, application):
    secret = application.secrets.get()
    assert (
        other_client.post(reverse("developer:secret-delete", args=[application.pk, secret.pk])).status_code
        == 404
    )
    assert application.secrets.exists()


def test_secret_delete_is_404_for_a_secret_of_another_app(dev_client, application, other_user):
    other_app = make_app(other_user)
    from apps.oauth.secrets import create_client_secret

    other_secret, _ = create_client_secret(application=other_app)
    url = reverse("developer:secret-delete", args=[application.pk, other_secret.pk])
    assert dev_client.post(url).status_code == 404
    assert other_app.secrets.exists()


def test_secret_delete_sends_anonymous_users_to_sign_in(client, application):
    secret = application.secrets.get()
    response = client.post(reverse("developer:secret-delete", args=[application.pk, secret.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_secret_delete_refuses_get(dev_client, application):
    secret = application.secrets.get()
    assert (
        dev_client.get(reverse("developer:secret-delete", args=[application.pk, secret.pk])).status_code
        == 405
    )


def test_generating_a_secret_through_htmx_updates_the_checklist_too(dev_client, application):
    application.secrets.all().delete()
    page = dev_client.get(reverse("developer:app-detail", args=[application.pk]))
    assertContains(page, '<a href="#secret-panel">Generate a client secret</a>', html=True)
    response = dev_client.post(
        reverse("developer:secret-create", args=[application.pk]), headers={"HX-Request": "true"}
    )
    assertContains(response, '<div id="getting-started" hx-swap-oob="true">')
    assertNotContains(response, '<a href="#secret-panel">Generate a client secret</a>', html=True)
