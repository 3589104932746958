"""An unproven provider address is never a claim on that address (pre-account takeover)."""

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from social_django.models import UserSocialAuth

from apps.accounts.models import User
from tests.social.providers import begin, complete

PASSWORD = "victim-strong-password-981"


def attacker_signs_in_with_facebook(fakes) -> Client:
    """Someone signs in with a Facebook account that claims the victim's (unverified) address."""
    attacker = Client()
    params = begin(attacker, "facebook")
    fakes["facebook"].person(params, uid="fb-attacker", email="victim@example.com", verified=False)
    complete(attacker, "facebook", params)
    return attacker


def test_unverified_provider_address_creates_no_account(fakes):
    attacker_signs_in_with_facebook(fakes)

    assert not User.objects.filter(email__iexact="victim@example.com").exists()
    assert not EmailAddress.objects.filter(email__iexact="victim@example.com").exists()
    assert not UserSocialAuth.objects.exists()


def test_victim_signs_up_and_the_attackers_provider_account_never_gets_in(fakes):
    attacker_signs_in_with_facebook(fakes)
    attackers_link = re.search(r"http://testserver(/social/complete/\S+)", mail.outbox[-1].body).group(1)

    # The victim can sign up with their own address, then confirms it.
    victim = Client()
    response = victim.post(
        reverse("account_signup"),
        {"email": "victim@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    account = User.objects.get(email="victim@example.com")
    # Even the link the attacker's sign-in sent them, opened by the victim, links nothing.
    victim.get(attackers_link)
    confirm = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    victim.post(confirm)
    assert EmailAddress.objects.get(user=account).verified

    # The attacker comes back with the same Facebook account.
    attacker = Client()
    params = begin(attacker, "facebook")
    fakes["facebook"].person(params, uid="fb-attacker", email="victim@example.com", verified=False)
    response = complete(attacker, "facebook", params)

    assert response["Location"] == reverse("account_login")
    assert attacker.session.get("_auth_user_id") is None
    assert not UserSocialAuth.objects.filter(user=account).exists()
    assert User.objects.count() == 1
