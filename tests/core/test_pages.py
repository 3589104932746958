import json as json_module

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

pytestmark = pytest.mark.django_db


def test_home_invites_anonymous_visitors_to_sign_up(client):
    response = client.get(reverse("core:home"))
    assertContains(response, "<h1>One account. Every app. Your rules.</h1>", html=True)
    assertContains(response, reverse("account_signup"))


def test_home_sends_signed_in_users_to_their_dashboard(auth_client):
    assertRedirects(auth_client.get(reverse("core:home")), reverse("core:dashboard"))


def test_dashboard_needs_sign_in(client):
    response = client.get(reverse("core:dashboard"))
    assertRedirects(response, f"{reverse('account_login')}?next={reverse('core:dashboard')}")


def test_dashboard_greets_the_user_and_links_to_the_security_log(auth_client, user):
    response = auth_client.get(reverse("core:dashboard"))
    assertContains(response, "Hello, Ada Lovelace")
    assertContains(response, reverse("audit:security-log"))


def test_healthz_reports_ok_without_authentication(client):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_pages_carry_a_strict_content_security_policy_and_cannot_be_framed(client):
    response = client.get(reverse("account_login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_every_form_page_carries_a_csrf_token(client):
    for name in ("account_login", "account_signup", "account_reset_password"):
        assertContains(client.get(reverse(name)), "csrfmiddlewaretoken")


def test_security_log_lists_only_the_users_own_events(auth_client, user, other_user):
    from apps.audit.models import AuditEvent
    from apps.audit.services import record

    record(AuditEvent.Kind.PASSWORD_CHANGED, user=user)
    record(AuditEvent.Kind.MFA_ENABLED, user=other_user)
    response = auth_client.get(reverse("audit:security-log"))
    assertContains(response, "Password changed")
    assert "Two-factor authentication added" not in response.content.decode()


def test_dashboard_links_to_everything_a_user_can_do(auth_client):
    from apps.core.views import DASHBOARD_TILES

    response = auth_client.get(reverse("core:dashboard"))
    for name, title, _ in DASHBOARD_TILES:
        assertContains(response, f'href="{reverse(name)}"')
        assertContains(response, title)


def test_signed_in_pages_are_never_cached_and_public_ones_may_be(auth_client):
    for path in ("/dashboard/", "/connected-apps/", "/settings/security/"):
        cache_control = auth_client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path
    assert "no-store" not in Client().get("/").get("Cache-Control", "")


def test_an_unknown_page_is_a_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assertContains(response, "<h1>Page not found</h1>", status_code=404, html=True)


@pytest.mark.parametrize(
    ("path", "json"), [("/api/boom/", True), ("/o/token/", True), ("/dashboard/", False)]
)
def test_a_server_error_is_json_for_machines_and_a_page_for_people(rf, path, json):
    from apps.core.views import server_error

    response = server_error(rf.get(path))
    assert response.status_code == 500
    if json:
        assert json_module.loads(response.content)["error"] == "server_error"
    else:
        assert b"Something went wrong" in response.content


@pytest.mark.parametrize("path", ["/o/userinfo/", "/o/token/", "/o/revoke_token/", "/api/me/"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("abc", "multipart/form-data"),
        ("abc", "multipart/form-data; boundary="),
        ("a=1&" * 1500, "application/x-www-form-urlencoded"),
    ],
    ids=["no-boundary", "empty-boundary", "too-many-fields"],
)
def test_an_unreadable_body_gets_a_json_error_from_machine_endpoints(client, path, body, content_type):
    response = client.post(path, body, content_type=content_type, HTTP_AUTHORIZATION="Bearer x")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    assert json_module.loads(response.content)["error"]
