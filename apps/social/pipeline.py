"""Gatehouse's steps in the social-auth pipeline (SOCIAL_AUTH_PIPELINE in settings).

The pipeline finds or creates the account; allauth signs it in. Handing the user to allauth's
login flow (instead of letting social-auth call `login()`) runs allauth's login stages, so a
social sign-in asks for the second factor and for a confirmed email address exactly like a
password sign-in does.

A new account is created only for an address someone has proven: the provider's word for it, or
a confirmation link opened in the browser that started the sign-in. Until then nothing exists that
could claim the address, so nobody can prepare an account for someone else's mailbox.
"""

from typing import Any
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.account.signals import user_signed_up
from allauth.account.utils import perform_login
from django.contrib import messages
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from social_core.backends.facebook import FacebookOAuth2
from social_core.backends.github import GithubOAuth2
from social_core.backends.google import BaseGoogleAuth
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.exceptions import (
    AuthAssociationError,
    AuthCredentialError,
    AuthPolicyError,
    AuthResponseError,
)
from social_core.pipeline.partial import partial

from apps.accounts.devices import describe_location, describe_user_agent
from apps.accounts.models import Profile, User
from apps.audit.models import AuditEvent
from apps.audit.services import client_ip, record
from apps.social.providers import provider_title
from apps.social.services import import_avatar

# Passed by the native token exchange (apps.social.native): no browser session to sign in.
TOKEN_EXCHANGE = "token_exchange"
# The address a confirmation link was last sent to, for the "check your inbox" page.
CONFIRMATION_SENT_TO = "social_confirmation_sent_to"


def _claims_verify(email: str, *sources: dict[str, Any] | None) -> bool:
    """OIDC Core 5.1: `email_verified` is about the `email` of the same claim set."""
    for claims in sources:
        if claims and claims.get("email"):
            same = str(claims["email"]).strip().lower() == email.lower()
            return same and claims.get("email_verified") in (True, "true")
    return False


def provider_verified_email(backend, email: str, response: dict[str, Any]) -> bool:
    """Whether the provider asserts that the person controls `email`."""
    if isinstance(backend, BaseGoogleAuth | OpenIdConnectAuth):
        return _claims_verify(email, response, getattr(backend, "id_token", None))
    if isinstance(backend, GithubOAuth2):
        # Only GitHub's /user/emails says whether an address is verified (scope user:email).
        return any(
            isinstance(entry, dict)
            and str(entry.get("email", "")).lower() == email.lower()
            and entry.get("primary") is True
            and entry.get("verified") is True
            for entry in response.get("emails") or []
        )
    # Facebook (and anything else) makes no such promise.
    return False


def _accounts_using(email: str) -> list[User]:
    owner_ids = EmailAddress.objects.filter(email__iexact=email).values("user_id")
    return list(User.objects.filter(Q(pk__in=owner_ids) | Q(email__iexact=email)).distinct())


@partial
def match_verified_email(
    strategy, backend, details, response, *args, user=None, current_partial=None, **kwargs
):
    """Find the existing account for a first-time provider account, only on a verified address.

    Without proof from the provider, an address that an account already uses is a dead end:
    the person signs in to that account first and connects the provider there. An address nobody
    uses must be confirmed by email before an account is made for it (`confirm_new_address`).
    A partial step: social-core resumes it only in the browser whose session started it.
    """
    email = (details.get("email") or "").strip()
    verified = bool(email) and provider_verified_email(backend, email, response)
    if user is not None:
        return {"provider_email_verified": verified}
    if not email:
        raise AuthResponseError(backend, code="profile_email_missing", claim="email", stage="pipeline")
    owners = _accounts_using(email)
    if not owners:
        if verified:
            return {"provider_email_verified": True}
        return confirm_new_address(strategy, backend, email, current_partial, **kwargs)
    if verified and len(owners) == 1:
        # The local address must be confirmed too: an unconfirmed one may be a squatter's.
        owner = owners[0]
        if EmailAddress.objects.filter(user=owner, email__iexact=email, verified=True).exists():
            return {"user": owner, "is_new": False, "provider_email_verified": True}
    raise AuthAssociationError(backend, code="email_in_use", stage="pipeline")


def confirm_new_address(strategy, backend, email: str, current_partial, **kwargs):
    """Prove an address the provider did not verify, by a link opened in this same browser.

    The link carries social-auth's email validation code and this partial pipeline's token;
    social-core resumes the pipeline only when that token is the one in this session, so the
    mailbox's owner cannot finish a sign-in someone else started (and link their provider account).
    """
    if kwargs.get(TOKEN_EXCHANGE):
        # A native app has no browser session to confirm in; nothing is created.
        raise AuthPolicyError(backend, code="email_confirmation_required", stage="pipeline")
    code = strategy.request_data().get("verification_code")
    if code:
        if not strategy.validate_email(email, code):
            raise AuthCredentialError(backend, code="email_verification_rejected", stage="pipeline")
        strategy.session_pop(CONFIRMATION_SENT_TO)
        return {"provider_email_verified": False, "email_confirmed": True}
    verification = strategy.storage.code.make_code(email)
    query = urlencode({"verification_code": verification.code, "partial_token": current_partial.token})
    confirm_path = f"{reverse('social:complete', args=[backend.name])}?{query}"
    get_account_adapter(strategy.request).send_mail(
        "social/email/confirm_address",
        email,
        {"provider": provider_title(backend.name), "confirm_url": strategy.build_absolute_uri(confirm_path)},
    )
    strategy.session_set(CONFIRMATION_SENT_TO, {"email": email, "provider": backend.name})
    return strategy.redirect(reverse("identities:confirm-email"))


def username_from_email(details, user=None, *args, **kwargs):
    """Base a new account's username on the email address when the provider has none to offer."""
    if user is None and not details.get("username") and details.get("email"):
        return {"details": {**details, "username": details["email"].split("@", 1)[0]}}
    return None


def _avatar_url(backend, response: dict[str, Any]) -> str:
    if isinstance(backend, GithubOAuth2):
        return response.get("avatar_url") or ""
    if isinstance(backend, FacebookOAuth2):
        picture = (response.get("picture") or {}).get("data") or {}
        return "" if picture.get("is_silhouette") else picture.get("url") or ""
    picture = response.get("picture") or (getattr(backend, "id_token", None) or {}).get("picture")
    return picture if isinstance(picture, str) else ""


def set_up_new_user(
    strategy,
    backend,
    details,
    response,
    user=None,
    is_new=False,
    provider_email_verified=False,
    email_confirmed=False,
    **kwargs,
):
    """Give a new account its proven email address, name and picture."""
    if not is_new or user is None:
        return
    verified = provider_email_verified or email_confirmed
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    profile = Profile.objects.for_user(user)
    profile.display_name = (details.get("fullname") or "").strip()[:100]
    profile.save(update_fields=["display_name", "updated"])
    import_avatar(profile=profile, url=_avatar_url(backend, response))
    # allauth's signal, so the audit trail (and anyone else listening) sees the sign-up.
    user_signed_up.send(sender=User, request=strategy.request, user=user, social_provider=backend.name)


def remember_account(
    backend, details, social=None, provider_email_verified=False, email_confirmed=False, *args, **kwargs
):
    """Keep what the Sign-in methods page shows about the provider account; never its tokens."""
    if social is None:
        return
    name = details.get("fullname") or details.get("username") or ""
    social.set_extra_data(
        {
            "account_name": str(name)[:200],
            "account_email": details.get("email") or "",
            "email_verified": provider_email_verified or email_confirmed,
        }
    )


def record_link(strategy, backend, user=None, new_association=False, *args, **kwargs):
    if user is None or not new_association:
        return
    request = strategy.request
    record(
        AuditEvent.Kind.IDENTITY_LINKED,
        user=user,
        request=request,
        provider=backend.name,
        provider_name=provider_title(backend.name),
    )
    if not kwargs.get("is_new"):  # a brand-new account's first method is no news
        _email_new_sign_in_method(request, user=user, backend=backend, details=kwargs.get("details") or {})
    if not kwargs.get(TOKEN_EXCHANGE) and request.user.is_authenticated:
        messages.success(
            request,
            _("%(provider)s is connected. You can now sign in with it.")
            % {"provider": provider_title(backend.name)},
        )


def _email_new_sign_in_method(request, *, user: User, backend, details: dict[str, Any]) -> None:
    """Tell the owner a new way into their account exists, as for a sign-in from a new device.

    Sent whether the provider was connected by hand or matched on a verified address: either
    way, someone holding that provider account can now sign in as them.
    """
    agent = request.META.get("HTTP_USER_AGENT", "")
    ip = client_ip(request)
    get_account_adapter(request).send_notification_mail(
        "social/email/sign_in_method_connected",
        user,
        {
            "provider": provider_title(backend.name),
            "account_name": details.get("email") or details.get("username") or "",
            "device": describe_user_agent(agent),
            "location": describe_location(ip),
            "sign_in_methods_url": request.build_absolute_uri(reverse("identities:sign-in-methods")),
        },
    )


def sign_in_through_allauth(strategy, backend, user=None, uid=None, is_new=False, *args, **kwargs):
    """Last step: allauth signs the user in, running its stages (MFA, email verification).

    Returning allauth's response ends the pipeline, so social-auth never logs anyone in itself.
    Connecting a provider to the signed-in user, and the native token exchange, continue instead.
    """
    request = strategy.request
    if user is None or kwargs.get(TOKEN_EXCHANGE) or request.user.is_authenticated:
        return None
    # The security log's sign-in row reads the provider (and its display name) from this record.
    record_authentication(
        request,
        user,
        method="socialaccount",
        provider=backend.name,
        provider_name=provider_title(backend.name),
        uid=uid,
    )
    return perform_login(
        request,
        user,
        redirect_url=strategy.session_pop("next") or None,
        signup=is_new,
        signal_kwargs={"social_provider": backend.name},
    )


def record_unlink(strategy, entries, user=None, *args, **kwargs):
    """Disconnect pipeline: social-auth's own disconnect URL is audited like ours."""
    for entry in entries:
        record(
            AuditEvent.Kind.IDENTITY_UNLINKED,
            user=user,
            request=strategy.request,
            provider=entry.provider,
            provider_name=provider_title(entry.provider),
        )
