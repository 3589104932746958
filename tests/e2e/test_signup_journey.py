import re

from django.core import mail


def test_new_user_signs_up_verifies_and_sees_dashboard(page, shot, live_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page.goto("/")
    shot("home")
    page.get_by_role("link", name="Create account").first.click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("a-fresh-strong-passphrase")
    page.get_by_label("Password (again)").fill("a-fresh-strong-passphrase")
    shot("signup")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()
    shot("verification-sent")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    shot("confirm-email")
    page.get_by_role("button", name="Confirm").click()

    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("a-fresh-strong-passphrase")
    shot("sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    assert "/dashboard/" in page.url
    shot("dashboard")
