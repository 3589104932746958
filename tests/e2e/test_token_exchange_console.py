from apps.oauth.models import Application
from tests.e2e.test_developer_console import sign_in

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def test_developer_enables_token_exchange_for_a_native_app(page, shot, live_server, developer):
    sign_in(page, developer, live_server.url)
    page.goto("/developer/apps/new/?kind=native")

    page.get_by_label("Name", exact=True).fill("Pocket Printer")
    page.get_by_label("Redirect URI 1", exact=True).fill("com.example.printer:/oauth/callback")
    page.locator(f'input[value="{TOKEN_EXCHANGE}"]').check()
    page.get_by_text("servers swap an access token for a narrower one").scroll_into_view_if_needed()
    shot("grant-choices")
    page.get_by_role("button", name="Register app").click()

    page.get_by_role("heading", name="Pocket Printer", level=1).wait_for()
    app = Application.objects.get(name="Pocket Printer")
    assert app.grant_types == [Application.GRANT_AUTHORIZATION_CODE, TOKEN_EXCHANGE]
    page.get_by_text("Token exchange").first.wait_for()
    shot("app-page")
