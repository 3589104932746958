"""A sign-in from a browser that has not signed in to the account before sends an email."""

import pytest
from django.test import Client

from apps.accounts.services import DEVICE_COOKIE
from tests.accounts.conftest import sign_in

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def browser_client(user_agent=FIREFOX) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR="203.0.113.9")


def new_sign_in_mails(mailoutbox):
    return [m for m in mailoutbox if "New sign-in" in m.subject]


def test_the_first_sign_in_of_an_account_is_not_news(user, mailoutbox):
    laptop = browser_client()
    sign_in(laptop)
    assert new_sign_in_mails(mailoutbox) == []
    assert laptop.cookies[DEVICE_COOKIE].value


def test_signing_in_again_on_a_known_browser_sends_nothing(user, mailoutbox):
    laptop = browser_client()
    sign_in(laptop)
    laptop.post("/accounts/logout/")
    sign_in(laptop)
    assert new_sign_in_mails(mailoutbox) == []


def test_a_new_browser_gets_an_email_naming_it(user, mailoutbox):
    sign_in(browser_client())
    sign_in(browser_client(CHROME))
    [mail] = new_sign_in_mails(mailoutbox)
    assert mail.to == ["ada@example.com"]
    assert "Chrome on Linux" in mail.subject
    assert "203.0.113.9" in mail.body
    assert "/settings/security/" in mail.body


def test_a_browser_known_for_one_account_is_new_for_another(user, other_user, mailoutbox):
    shared = browser_client()
    sign_in(browser_client(CHROME), email="grace@example.com")
    sign_in(shared)
    shared.post("/accounts/logout/")
    sign_in(shared, email="grace@example.com")
    [mail] = new_sign_in_mails(mailoutbox)
    assert mail.to == ["grace@example.com"]


def test_a_failed_sign_in_sends_no_new_device_email(user, mailoutbox):
    sign_in(browser_client())
    sign_in(browser_client(CHROME), password="wrong-password-here")
    assert new_sign_in_mails(mailoutbox) == []


def test_the_device_cookie_reveals_nothing_and_is_httponly(user):
    laptop = browser_client()
    sign_in(laptop)
    cookie = laptop.cookies[DEVICE_COOKIE]
    assert str(user.pk) not in cookie.value.split(".") and "ada" not in cookie.value
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_emails_greet_with_the_site_name_not_the_host(user, mailoutbox, settings):
    sign_in(browser_client())
    sign_in(browser_client(CHROME))
    [mail] = new_sign_in_mails(mailoutbox)
    assert mail.body.startswith(f"Hello from {settings.SITE_NAME}!")
    assert "testserver" not in mail.body.splitlines()[0]
