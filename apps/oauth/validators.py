"""Gatehouse's OAuth2Validator: DOT's, plus where our model and policy differ."""

from allauth.account.models import EmailAddress
from oauth2_provider.oauth2_validators import OAuth2Validator

from apps.accounts.models import Profile


def _profile(request) -> Profile:
    return Profile.objects.for_user(request.user)


def _picture(request) -> str | None:
    avatar = _profile(request).avatar
    return request.build_absolute_uri(avatar.url) if avatar and hasattr(request, "build_absolute_uri") else None


def _email_verified(request) -> bool:
    return EmailAddress.objects.filter(user=request.user, email__iexact=request.user.email, verified=True).exists()


class GatehouseValidator(OAuth2Validator):
    # Claims are released by scope (DOT filters on `oidc_claim_scope`), the same in the ID
    # token and at userinfo, because both read this request-agnostic mapping.
    def get_additional_claims(self):
        return {
            "name": lambda r: r.user.display_name,
            "preferred_username": lambda r: r.user.username,
            "picture": _picture,
            "website": lambda r: _profile(r).website or None,
            "email": lambda r: r.user.email,
            "email_verified": _email_verified,
        }
