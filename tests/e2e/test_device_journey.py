"""A person connects a TV with the device flow, then signs out through an app's logout link."""

from datetime import timedelta
from urllib.parse import urlencode

from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from apps.oauth.models import Application
from tests.conftest import PASSWORD, make_user
from tests.oauth_flow import FORM, make_client

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DeviceGrant = get_device_grant_model()


def test_user_connects_a_device_with_its_code_and_signs_out(page, shot, transactional_db):
    user = make_user("tv-owner@example.com", first_name="Tess")
    tv = make_client(
        user,
        name="Living Room TV",
        grant_types=[Application.GRANT_DEVICE_CODE],
        secret=None,
        allowed_scopes=["openid", "profile", "read"],
    )
    api = Client()
    started = api.post(
        "/o/device-authorization/",
        urlencode({"client_id": tv.client_id, "scope": "openid profile read"}),
        content_type=FORM,
    ).json()

    page.goto("/o/device/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Connect a device").wait_for()
    shot("enter-code")

    page.get_by_label("Code").fill("wrong-code")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("That code is not valid").wait_for()
    shot("wrong-code")

    page.get_by_label("Code").fill(started["user_code"].lower())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Allow Living Room TV on your device?").wait_for()
    shot("confirm")
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name="Device connected").wait_for()
    shot("connected")

    DeviceGrant.objects.update(last_checked=timezone.now() - timedelta(seconds=10))
    tokens = api.post(
        "/o/token/",
        urlencode(
            {"grant_type": DEVICE_GRANT, "device_code": started["device_code"], "client_id": tv.client_id}
        ),
        content_type=FORM,
    )
    assert tokens.status_code == 200, tokens.content

    page.goto(f"/o/logout/?{urlencode({'client_id': tv.client_id})}")
    page.get_by_role("heading", name="Sign out of Gatehouse?").wait_for()
    shot("logout-confirm")
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()
    shot("signed-out")
