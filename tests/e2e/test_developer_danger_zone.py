"""Revoking every token of an app asks first, in a dialog that says who is affected."""

from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from tests.e2e.test_developer_console import sign_in
from tests.oauth_flow import obtain_tokens


def test_revoke_all_tokens_asks_in_a_dialog_first(page, shot, live_server, developer, user, application):
    obtain_tokens(Client(), user=user, application=application, scope="openid profile")
    live = get_access_token_model().objects.filter(application=application, expires__gt=timezone.now())
    sign_in(page, developer, live_server.url)
    page.goto(f"/developer/apps/{application.pk}/")

    page.get_by_role("link", name="Revoke all tokens…").click()
    dialog = page.get_by_role("dialog", name="Revoke all tokens of Photo Printer?")
    dialog.wait_for()
    assert "1 person will be signed out of Photo Printer" in " ".join(dialog.inner_text().split())
    shot("revoke-tokens-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    assert live.count() == 1

    page.get_by_role("link", name="Revoke all tokens…").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke all tokens").click()
    page.get_by_text("Revoked 2 tokens.").wait_for()
    assert live.count() == 0
