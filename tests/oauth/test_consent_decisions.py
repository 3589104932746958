"""What Allow and Deny on the consent screen grant, remember and record."""

from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from apps.audit.models import AuditEvent
from apps.oauth.models import Consent
from tests.oauth.consent_support import (
    AUTHORIZE,
    read_form,
    redirect_query,
    screen_for,
    submit,
    token_for,
)


def allow(client, application, *, scope="openid profile email", **choices):
    """Show the screen, submit it, and exchange the code; return the token response."""
    screen, verifier = screen_for(client, application, scope=scope)
    assert screen.status_code == 200, screen.content[:300]
    return token_for(client, application, submit(client, screen, **choices), verifier)


# --- Partial consent and tampering ------------------------------------------------------------


def test_token_carries_exactly_the_ticked_scopes(auth_client, application):
    tokens = allow(auth_client, application, scope="openid profile email read", untick=("email",))
    assert set(tokens["scope"].split()) == {"openid", "profile", "read"}


def test_unticked_scope_is_not_remembered(auth_client, user, application):
    allow(auth_client, application, untick=("email",))
    assert Consent.objects.get(user=user, application=application).scopes == ["openid", "profile"]


def test_ticking_a_scope_that_was_not_requested_grants_nothing_more(auth_client, user, application):
    tokens = allow(auth_client, application, scope="openid profile", tick=("write", "email"))
    assert set(tokens["scope"].split()) == {"openid", "profile"}
    assert Consent.objects.get(user=user, application=application).scopes == ["openid", "profile"]


def test_editing_the_hidden_scope_field_grants_nothing_more(auth_client, user, application):
    screen, verifier = screen_for(auth_client, application, scope="openid profile")
    response = submit(auth_client, screen, replace={"scope": "openid profile email write"})
    assert set(token_for(auth_client, application, response, verifier)["scope"].split()) == {
        "openid",
        "profile",
    }


def test_a_scope_the_app_is_not_allowed_is_never_granted(auth_client, user, application):
    screen, verifier = screen_for(auth_client, application, scope="openid profile")
    response = submit(auth_client, screen, tick=("admin",), replace={"scope": "openid profile admin"})
    tokens = token_for(auth_client, application, response, verifier)
    assert "admin" not in tokens["scope"].split()
    assert "admin" not in Consent.objects.get(user=user, application=application).scopes


def test_required_scopes_are_granted_even_if_the_form_leaves_them_out(auth_client, application):
    application.required_scopes = ["email"]
    application.save()
    screen, verifier = screen_for(auth_client, application, scope="openid profile email")
    response = submit(auth_client, screen, untick=("profile",))
    assert set(token_for(auth_client, application, response, verifier)["scope"].split()) == {
        "openid",
        "email",
    }


def test_a_form_stripped_of_its_checkboxes_grants_only_what_cannot_be_unticked(
    auth_client, user, application
):
    application.allowed_scopes = ["openid", "read", "admin"]
    application.save()
    screen, verifier = screen_for(auth_client, application, scope="openid admin read")
    data = dict(read_form(screen).fields)
    data.update(allow="Authorize", granted="read", remember="forever")
    response = auth_client.post(AUTHORIZE, data)
    tokens = token_for(auth_client, application, response, verifier)
    assert set(tokens["scope"].split()) == {"openid", "read"}
    assert set(Consent.objects.get(user=user, application=application).scopes) == {"openid", "read"}


def test_unticking_every_scope_of_a_plain_oauth_request_is_a_deny(auth_client, application):
    screen, _ = screen_for(auth_client, application, scope="read write")
    query = redirect_query(submit(auth_client, screen, untick=("read", "write")))
    assert query["error"] == "access_denied"
    assert query["state"] == "state-123"
    assert not Consent.objects.exists()


def test_a_decision_for_a_request_that_was_never_shown_is_refused(auth_client, application):
    screen, _ = screen_for(auth_client, application)
    response = submit(auth_client, screen, replace={"state": "forged"})
    assertContains(response, "This request has expired", status_code=400)


def test_a_decision_can_be_used_only_once(auth_client, application):
    screen, _ = screen_for(auth_client, application)
    assert submit(auth_client, screen).status_code == 302
    assertContains(submit(auth_client, screen), "This request has expired", status_code=400)


def test_reloading_the_screen_writes_no_session_and_its_decision_still_counts_once(auth_client, application):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.oauth_flow import authorize_params, pkce_pair

    params = authorize_params(application, scope="openid profile", challenge=pkce_pair()[1])
    auth_client.get(reverse("oauth2_provider:authorize"), params)
    with CaptureQueriesContext(connection) as reload:
        screen = auth_client.get(reverse("oauth2_provider:authorize"), params)
    assert not [q for q in reload.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert submit(auth_client, screen).status_code == 302
    assertContains(submit(auth_client, screen), "This request has expired", status_code=400)


# --- Deny --------------------------------------------------------------------------------------


def test_deny_redirects_with_access_denied_and_state(auth_client, application):
    screen, _ = screen_for(auth_client, application)
    query = redirect_query(submit(auth_client, screen, allow=False))
    assert query["error"] == "access_denied"
    assert query["state"] == "state-123"
    assert query["iss"]
    assert "code" not in query
    assert not Consent.objects.exists()


# --- Remembering the decision ------------------------------------------------------------------


def test_remembered_decision_skips_the_screen_next_time(auth_client, user, application):
    allow(auth_client, application, remember="forever")
    consent = Consent.objects.get(user=user, application=application)
    assert consent.remember == "forever" and consent.expires is None
    response, verifier = screen_for(auth_client, application, scope="openid profile")
    assert set(token_for(auth_client, application, response, verifier)["scope"].split()) == {
        "openid",
        "profile",
    }


def test_a_request_for_more_than_was_granted_shows_the_screen(auth_client, application):
    allow(auth_client, application, scope="openid profile")
    response, _ = screen_for(auth_client, application, scope="openid profile email")
    assert response.status_code == 200


def test_granting_more_later_adds_to_the_remembered_scopes(auth_client, user, application):
    allow(auth_client, application, scope="openid profile")
    allow(auth_client, application, scope="openid email")
    assert Consent.objects.get(user=user, application=application).scopes == ["openid", "profile", "email"]


def test_thirty_day_decision_expires(auth_client, user, application):
    allow(auth_client, application, remember="30d")
    consent = Consent.objects.get(user=user, application=application)
    assert timedelta(days=29) < consent.expires - timezone.now() <= timedelta(days=30)
    assert screen_for(auth_client, application)[0].status_code == 302
    Consent.objects.filter(pk=consent.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert screen_for(auth_client, application)[0].status_code == 200


def test_this_time_only_shows_the_screen_again(auth_client, user, application):
    allow(auth_client, application, remember="once")
    assert Consent.objects.get(user=user, application=application).remember == "once"
    response, _ = screen_for(auth_client, application)
    assert response.status_code == 200
    assert read_form(response).checkboxes


def test_remember_defaults_to_until_revoked(auth_client, user, application):
    screen, _ = screen_for(auth_client, application)
    radios = read_form(screen).radios
    assert [r["value"] for r in radios if "checked" in r] == ["forever"]
    assert [r["value"] for r in radios] == ["forever", "30d", "once"]


def test_prompt_consent_shows_the_screen_despite_a_remembered_decision(auth_client, application):
    allow(auth_client, application)
    response, _ = screen_for(auth_client, application, prompt="consent")
    assert response.status_code == 200


def test_first_party_app_skips_the_screen(auth_client, application):
    application.skip_authorization = True
    application.save()
    response, verifier = screen_for(auth_client, application)
    assert token_for(auth_client, application, response, verifier)["access_token"]


def test_approval_prompt_auto_cannot_skip_the_screen(client, user, application, tokens):
    # The user holds a live token for the app (what stock "auto" checks), but their decision
    # was "this time only": the screen must show.
    Consent.objects.filter(user=user, application=application).update(remember="once")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response, _ = screen_for(client, application, approval_prompt="auto")
    assert response.status_code == 200


# --- Records: audit and email -----------------------------------------------------------------


def test_first_grant_is_audited_and_e_mailed(auth_client, user, application, mailoutbox):
    allow(auth_client, application, untick=("email",))
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CONSENT_GRANTED)
    assert event.user == user
    assert event.data["application"] == "Photo Printer"
    assert event.data["scopes"] == ["openid", "profile"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "[Gatehouse] Photo Printer can now access your Gatehouse account"
    assert "Your public profile" in message.body
    assert "Your email address" not in message.body
    assert f"http://testserver/connected-apps/{application.client_id}/" in message.body


def test_later_grants_are_audited_but_not_e_mailed(auth_client, application, mailoutbox):
    allow(auth_client, application, scope="openid profile")
    allow(auth_client, application, scope="openid email")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CONSENT_GRANTED).count() == 2
    assert len(mailoutbox) == 1


def test_switch_account_signs_out_and_returns_to_the_same_request(auth_client, application):
    screen, _ = screen_for(auth_client, application)
    request_path = screen.wsgi_request.get_full_path()
    response = auth_client.post("/accounts/logout/", {"next": request_path})
    assertRedirects(response, request_path, fetch_redirect_response=False)
    back = auth_client.get(response["Location"])
    assert back.status_code == 302
    assert back["Location"].startswith("/accounts/login/?next=")
    assert auth_client.get(back["Location"]).status_code == 200
    assert AUTHORIZE in back["Location"]


def test_this_time_only_decisions_keep_listing_what_live_tokens_carry(auth_client, user, application):
    allow(auth_client, application, scope="openid profile email", remember="once")
    allow(auth_client, application, scope="openid read", remember="once")
    consent = Consent.objects.get(user=user, application=application)
    assert set(consent.scopes) == {"openid", "profile", "email", "read"}
    response = auth_client.post(f"/connected-apps/{application.client_id}/scopes/email/remove/")
    assertRedirects(response, f"/connected-apps/{application.client_id}/", fetch_redirect_response=False)
    assert "email" not in Consent.objects.get(user=user, application=application).scopes


def test_the_code_and_the_consent_are_stored_together_or_not_at_all(auth_client, application, monkeypatch):
    from oauth2_provider.models import get_grant_model

    Grant = get_grant_model()

    from apps.oauth import services
    from apps.oauth.models import TokenFamily

    screen, _ = screen_for(auth_client, application)

    def fail(**kwargs):
        raise RuntimeError("the consent could not be stored")

    monkeypatch.setattr(services, "record_consent", fail)
    with pytest.raises(RuntimeError):
        submit(auth_client, screen)
    assert not Grant.objects.filter(application=application).exists()
    assert not TokenFamily.objects.filter(application=application).exists()
    assert not Consent.objects.filter(application=application).exists()
