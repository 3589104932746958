"""The OAuth part of deleting an account (registered in OauthConfig.ready, run by accounts)."""

import functools
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.oauth.models import Application, Consent
from apps.oauth.revocation import revoke_tokens
from apps.oauth.selectors import live_access_tokens, live_refresh_tokens


def _holders(applications: list[Application]) -> dict[int, set[int]]:
    """{application id: ids of the people holding a consent or a live token for it}."""
    holders: dict[int, set[int]] = {app.pk: set() for app in applications}
    if not holders:
        return holders
    now = timezone.now()
    for queryset in (
        live_access_tokens(now=now).filter(application__in=holders, user__isnull=False),
        live_refresh_tokens(now=now).filter(application__in=holders),
        Consent.objects.filter(application__in=holders),
    ):
        for app_id, user_id in queryset.values_list("application_id", "user_id").distinct():
            holders[app_id].add(user_id)
    return holders


def deletion_impact(user: User) -> dict[str, Any]:
    """The user's apps (each with `.affected_users`), the people using them, the user's
    consents and live access tokens: five queries however many apps."""
    applications = list(Application.objects.filter(user=user).order_by("name"))
    holders = _holders(applications)
    for app in applications:
        app.affected_users = len(holders[app.pk] - {user.pk})
    return {
        "applications": applications,
        "affected_users": len(set().union(*holders.values()) - {user.pk}),
        "consents": Consent.objects.filter(user=user).count(),
        "tokens": live_access_tokens().filter(user=user).count(),
    }


def delete_user_data(user: User) -> dict[str, Any]:
    """Revoke through DOT what the user gave and everything issued to the user's apps, then
    delete the consents and the apps (their logos once the deletion commits)."""
    own_apps = Application.objects.filter(user=user)
    tokens = revoke_tokens(user=user) + revoke_tokens(applications=own_apps)
    Consent.objects.filter(user=user).delete()
    # A bulk delete calls no model code: the logo files would stay in storage for good.
    storage = Application._meta.get_field("logo").storage
    logos = [name for name in own_apps.values_list("logo", flat=True) if name]
    own_apps.delete()
    for name in logos:
        transaction.on_commit(functools.partial(storage.delete, name))
    return {"tokens_revoked": tokens}
