"""Another developer's app is a 404 on every console URL, whatever the method."""

import pytest
from django.urls import reverse

from apps.oauth.models import Application

APP_URLS = [
    ("GET", "developer:app-detail"),
    ("GET", "developer:app-edit"),
    ("POST", "developer:app-edit"),
    ("GET", "developer:app-consent-preview"),
    ("POST", "developer:secret-create"),
    ("GET", "developer:app-confirm-revoke-tokens"),
    ("POST", "developer:app-revoke-tokens"),
    ("POST", "developer:app-delete"),
    ("POST", "developer:playground-add-callback"),
    ("POST", "developer:playground-start"),
    ("POST", "developer:playground-exchange"),
    ("POST", "developer:playground-call-api"),
    ("POST", "developer:playground-refresh"),
    ("POST", "developer:playground-revoke"),
    ("POST", "developer:playground-reset"),
]


@pytest.mark.parametrize(("method", "name"), APP_URLS, ids=[f"{m} {n}" for m, n in APP_URLS])
def test_another_users_app_is_404(other_client, application, method, name):
    url = reverse(name, args=[application.pk])
    response = (
        other_client.get(url) if method == "GET" else other_client.post(url, {"confirm": application.name})
    )
    assert response.status_code == 404
    assert Application.objects.filter(pk=application.pk, name="Photo Printer").exists()


def test_another_users_secret_is_404(other_client, application):
    secret = application.secrets.get()
    response = other_client.post(reverse("developer:secret-delete", args=[application.pk, secret.pk]))
    assert response.status_code == 404


def test_another_users_app_is_404_in_the_playground(other_client, application):
    assert other_client.get(reverse("developer:playground"), {"app": application.pk}).status_code == 404


def test_another_users_app_is_not_explained(other_client, application):
    url = f"/o/authorize/?response_type=code&client_id={application.client_id}&redirect_uri=https://x.example/cb"
    response = other_client.get(reverse("developer:playground-explain"), {"url": url})
    text = response.content.decode()
    assert "None of your apps has the client ID" in text
    assert application.redirect_uris not in text and "Photo Printer" not in text


def test_a_missing_app_is_404(dev_client):
    assert dev_client.get(reverse("developer:app-detail", args=[999])).status_code == 404
