"""The console and DPoP: the setting, the overview, the explainer and the playground say what it means."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AuditEvent
from apps.developer.explain import explain_authorize_url
from apps.oauth.models import Application
from tests.developer.conftest import form_data, make_app
from tests.oauth_flow import pkce_pair

pytestmark = pytest.mark.django_db


def test_the_settings_page_explains_require_dpop(dev_client, application):
    response = dev_client.get(reverse("developer:app-edit", args=[application.pk]))
    assertContains(response, "Require DPoP-bound tokens")
    assertContains(response, "a token that leaks is useless")


def test_requiring_dpop_is_saved_and_audited(dev_client, developer):
    app = make_app(developer, redirect_uris="https://frame.example.com/callback")
    response = dev_client.post(reverse("developer:app-edit", args=[app.pk]), form_data(require_dpop="on"))
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.require_dpop and app.dpop_required
    assert "require_dpop" in AuditEvent.objects.get(kind=AuditEvent.Kind.APP_UPDATED).data["fields"]


def test_the_overview_says_whether_dpop_is_required(dev_client, developer):
    app = make_app(developer)
    url = reverse("developer:app-detail", args=[app.pk])
    assertContains(dev_client.get(url), "<strong>Optional.</strong>", html=False)
    Application.objects.filter(pk=app.pk).update(require_dpop=True)
    page = dev_client.get(url)
    assertContains(page, "<strong>Required.</strong>", html=False)
    assertContains(page, "Authorization: DPoP &lt;token&gt;")


def explain(app):
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": app.redirect_uris.split()[0],
        "scope": "openid",
        "state": "s",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    url = "https://id.example.com/o/authorize/?" + urlencode(params)
    owned = Application.objects.filter(user=app.user)
    return explain_authorize_url(url, applications=owned, authorize_path=reverse("oauth2_provider:authorize"))


def test_the_explainer_warns_that_the_app_requires_dpop(developer):
    app = make_app(developer, require_dpop=True)
    check = next(c for c in explain(app).checks if c.label == "DPoP")
    assert check.status == "warn" and "DPoP proof" in check.detail


def test_the_explainer_says_nothing_of_dpop_for_other_apps(developer):
    assert not [c for c in explain(make_app(developer)).checks if c.label == "DPoP"]


def test_the_playground_says_it_cannot_make_proofs_for_an_app_requiring_dpop(dev_client, developer):
    app = make_app(developer, require_dpop=True)
    page = dev_client.get(reverse("developer:playground"), {"app": app.pk})
    assertContains(page, "The playground sends no DPoP proofs")
    Application.objects.filter(pk=app.pk).update(require_dpop=False)
    assertNotContains(dev_client.get(reverse("developer:playground"), {"app": app.pk}), "DPoP proofs")
