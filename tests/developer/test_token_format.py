"""The developer console's access token format: chosen, explained, saved and audited."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.developer.conftest import form_data, make_app

pytestmark = pytest.mark.django_db


def test_the_settings_page_offers_both_formats_in_plain_words(dev_client, application):
    response = dev_client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, "<legend>Access token format</legend>", html=True)
    assertContains(response, 'value="opaque"')
    assertContains(response, 'value="jwt"')
    assertContains(response, "without asking Gatehouse each time")
    assertContains(response, "Refresh tokens stay opaque.")


def test_choosing_jwt_is_saved_and_audited_with_before_and_after(dev_client, developer):
    app = make_app(developer, redirect_uris="https://frame.example.com/callback")
    response = dev_client.post(
        reverse("developer:app-edit", args=[app.pk]), form_data(access_token_format="jwt")
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.access_token_format == Application.AccessTokenFormat.JWT
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.APP_UPDATED)
    assert "access_token_format" in event.data["fields"]
    assert event.data["access_token_format"] == {"before": "opaque", "after": "jwt"}


def test_a_form_without_the_choice_keeps_the_apps_format(dev_client, developer):
    app = make_app(developer, redirect_uris="https://frame.example.com/callback", access_token_format="jwt")
    data = form_data()
    data.pop("access_token_format", None)
    assert dev_client.post(reverse("developer:app-edit", args=[app.pk]), data).status_code == 302
    app.refresh_from_db()
    assert app.access_token_format == "jwt"


def test_an_unknown_format_is_refused(dev_client, developer):
    app = make_app(developer, redirect_uris="https://frame.example.com/callback")
    response = dev_client.post(
        reverse("developer:app-edit", args=[app.pk]), form_data(access_token_format="saml")
    )
    assert response.status_code == 200
    app.refresh_from_db()
    assert app.access_token_format == "opaque"


def test_the_app_page_says_which_format_its_tokens_have(dev_client, developer):
    app = make_app(developer, access_token_format="jwt")
    response = dev_client.get(reverse("developer:app-detail", args=[app.pk]))
    assertContains(response, "<h3>Access tokens</h3>", html=True)
    assertContains(response, "<code>typ: at+jwt</code>", html=True)
    app.access_token_format = "opaque"
    app.save()
    assertContains(
        dev_client.get(reverse("developer:app-detail", args=[app.pk])),
        "Your APIs check them at the introspection endpoint.",
    )


# --- The explainer ---------------------------------------------------------------------------


def explained(app, **extra):
    from urllib.parse import urlencode

    from apps.developer.explain import explain_authorize_url
    from tests.developer.test_pushed_requests import CALLBACK, pushed_params

    params = {**pushed_params(), "redirect_uri": [CALLBACK], "client_id": [app.client_id], **extra}
    url = "https://id.example.com/o/authorize/?" + urlencode(params, doseq=True)
    owned = Application.objects.filter(user=app.user)
    return explain_authorize_url(url, applications=owned, authorize_path=reverse("oauth2_provider:authorize"))


def test_the_explainer_refuses_an_unregistered_resource_as_the_endpoint_does(developer):
    app = make_app(developer)
    failure = explained(app, resource=["https://evil.example.com/"]).first_failure
    assert failure is not None and failure.error == "invalid_target"


def test_the_explainer_says_whom_a_jwt_is_for(developer):
    app = make_app(developer, access_token_format="jwt")
    explanation = explained(app, resource=["https://id.example.com/api/"])
    assert explanation.first_failure is None
    assert any("aud claim" in check.detail for check in explanation.checks)
    plain = explained(app)
    assert any(check.label == "Access token format" for check in plain.checks)
