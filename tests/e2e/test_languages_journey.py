"""A person reads Gatehouse in their language: the app's ui_locales, or the footer switcher."""

import re
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.oauth_flow import authorize_params, pkce_pair

CALLBACK_PAGE = (
    '<!doctype html><html lang="en"><head><title>Back</title></head><body><main>Back</main></body></html>'
)


def switch_to(page, language: str) -> None:
    """The footer's plain form: choose, then press its button (no script involved)."""
    page.locator("#language-switcher-select").select_option(language)
    page.locator(".language-switcher button[type=submit]").click()
    page.wait_for_load_state()


def test_an_apps_ui_locales_speaks_german_through_sign_in_and_consent(page, shot, user, application):
    page.route(
        re.compile(r"^https://printer\.example\.com/.*"),
        lambda route: route.fulfill(status=200, content_type="text/html", body=CALLBACK_PAGE),
    )
    params = authorize_params(
        application, scope="openid profile", challenge=pkce_pair()[1], ui_locales="de-CH en"
    )
    page.goto("/o/authorize/?" + urlencode(params))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    shot("sign-in-in-german")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").first.click()

    page.locator("#consent-title").wait_for()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#language-switcher-select")).to_have_value("de")
    shot("consent-in-german")  # axe audits the German consent screen here
    page.locator("button[name=allow]").click()
    page.wait_for_url(re.compile(r"^https://printer\.example\.com/"))

    # The app's hint was for its own pages: the person's other pages follow their choice.
    page.goto("/connected-apps/")
    switch_to(page, "de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert page.url.endswith("/connected-apps/")
    shot("connected-apps-in-german")


def test_the_footer_switcher_changes_the_language_and_remembers_it(page, shot, db):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#language-switcher-select option[value=fr]")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Language")).to_be_visible()
    switch_to(page, "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith("/accounts/login/")
    shot("sign-in-in-french")
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#language-switcher-select")).to_have_value("fr")
