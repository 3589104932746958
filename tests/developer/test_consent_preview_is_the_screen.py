"""The console's live preview is the consent screen's own partial, fed by its own context builder."""

import re
from html import unescape

from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertTemplateUsed

from tests.oauth.consent_support import screen_for

SCOPES = ["openid", "profile", "email", "write"]


def what_people_read(response, start: str) -> str:
    """The visible text of the screen from its scope list on, with whitespace folded."""
    html = response.content.decode()
    html = re.sub(r"<(script|style|form)\b[^>]*>|</form>", "", html)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    text = text[text.index(start) :]
    return text[: text.index("You can take access back")]


def test_the_preview_and_the_real_screen_render_the_same_partial(dev_client, user, application):
    application.scope_justifications = {"email": "We email you when your prints ship."}
    application.privacy_policy_url = "https://printer.example.com/privacy"
    application.required_scopes = ["email"]
    application.save()
    preview = dev_client.get(
        reverse("developer:app-consent-preview", args=[application.pk]),
        {
            "name": application.name,
            "description": application.description,
            "homepage_url": application.homepage_url,
            "privacy_policy_url": application.privacy_policy_url,
            "allowed_scopes": SCOPES,
            "required_scopes": ["email"],
            "why_email": "We email you when your prints ship.",
            "redirect_uris": application.redirect_uris,
        },
        headers={"HX-Request": "true"},
    )
    person = Client()
    person.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    screen, _ = screen_for(person, application, scope=" ".join(SCOPES))
    assert screen.status_code == preview.status_code == 200
    assertTemplateUsed(preview, "oauth/_consent.html")
    assertTemplateUsed(screen, "oauth/_consent.html")
    start = "This will allow Photo Printer to"
    # The preview adds only screen-reader notes on its inert boxes and radios.
    inert_notes = re.compile(r" \((?:un)?ticked\)| \(chosen\)")
    assert inert_notes.sub("", what_people_read(preview, start)) == what_people_read(screen, start)
