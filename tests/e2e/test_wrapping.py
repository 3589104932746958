"""Long addresses wrap after their separators (@ . / -), never mid-word, and overlap nothing."""

from urllib.parse import urlencode

from apps.accounts.models import Profile
from tests.conftest import PASSWORD, make_user
from tests.developer.conftest import make_app
from tests.e2e.test_developer_console import sign_in
from tests.oauth_flow import authorize_params, pkce_pair

PHONE = {"width": 375, "height": 800}
LONG_EMAIL = "ada.augusta.king-noel.countess-of-lovelace@analytical-engine-society.example.com"
SEPARATORS = "@./-_?&=:"

# For each element: the characters after which its text moved to a new line.
LINE_BREAKS = """(selector) => {
  const breaks = [];
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let previous = null, top = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        if (top !== null && rect.top > top + 2) breaks.push(previous);
        top = rect.top; previous = node.data[i];
      }
    }
  }
  return breaks;
}"""


def assert_breaks_only_at_separators(page, selector: str) -> None:
    breaks = page.evaluate(LINE_BREAKS, selector)
    assert all(char in SEPARATORS for char in breaks), f"{selector} wraps mid-word after {breaks}"


def test_endpoint_urls_at_375px_wrap_at_separators(page, shot, live_server, developer):
    app = make_app(developer, name="Photo Frame")
    sign_in(page, developer, live_server.url)
    page.set_viewport_size(PHONE)
    page.goto(f"/developer/apps/{app.pk}/")
    page.get_by_role("heading", name="Endpoints").scroll_into_view_if_needed()
    shot("endpoints-375")
    assert page.evaluate(LINE_BREAKS, ".dev-endpoints code"), "nothing wrapped: the test proves nothing"
    assert_breaks_only_at_separators(page, ".dev-endpoints code")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_long_email_wraps_at_separators_in_the_profile_preview(page, shot, live_server, db):
    person = make_user(LONG_EMAIL)
    Profile.objects.for_user(person)
    sign_in(page, person, live_server.url)
    page.set_viewport_size(PHONE)
    page.goto("/settings/profile/")
    page.get_by_role("heading", name="What others see").scroll_into_view_if_needed()
    shot("profile-preview-long-email")
    assert page.evaluate(LINE_BREAKS, ".preview-name"), "nothing wrapped: the test proves nothing"
    assert_breaks_only_at_separators(page, ".preview-name")


OVERLAP = """() => {
  const who = document.querySelector(".consent-account-who").getBoundingClientRect();
  const button = document.querySelector(".consent-switch button").getBoundingClientRect();
  return !(who.right <= button.left || button.right <= who.left || who.bottom <= button.top || button.bottom <= who.top);
}"""


def test_a_long_email_does_not_overlap_switch_account_on_the_consent_screen(page, shot, application):
    make_user(LONG_EMAIL)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.context.clear_cookies()
        _, challenge = pkce_pair()
        page.goto(
            "/o/authorize/?" + urlencode(authorize_params(application, scope="openid", challenge=challenge))
        )
        page.get_by_label("Email").fill(LONG_EMAIL)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("button", name="Not you? Switch account").wait_for()
        shot(f"consent-long-email-{width}")
        assert not page.evaluate(OVERLAP), f"the account box overlaps 'Switch account' at {width}px"
        assert_breaks_only_at_separators(page, ".consent-account-who strong")


def test_the_device_code_field_fits_a_whole_code(page, shot, live_server, user):
    sign_in(page, user, live_server.url)
    page.set_viewport_size(PHONE)
    page.goto("/o/device/")
    field = page.get_by_label("Code")
    field.fill("BDFH-KLMN")
    shot("device-code-375")
    scroll_width, client_width = field.evaluate("(input) => [input.scrollWidth, input.clientWidth]")
    assert scroll_width <= client_width, f"the code needs {scroll_width}px in a {client_width}px field"
