"""Taking OAuth credentials back through django-oauth-toolkit: the one path every app uses.

Connected apps (one app, one scope, all apps), the developer console (all of an app's tokens)
and account deletion all revoke the same five kinds of credential; this is where that happens.
"""

from collections import Counter
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from apps.audit.models import AuditEvent
from apps.audit.services import record


def _carries(credential, scope: str | None) -> bool:
    return scope is None or scope in credential.scope.split()


@transaction.atomic
def revoke_tokens(*, user=None, applications: Iterable | None = None, carrying: str | None = None) -> int:
    """Revoke what `user` gave (to `applications`, when given), or everything `applications`
    hold: each live access, refresh and ID token through DOT, and each authorization code and
    device code not yet redeemed (the user's approved ones; for applications alone, every one,
    pending included). Return how many access and refresh tokens died.

    With `carrying`, only credentials whose scope includes it go. A live refresh token whose
    access token is already gone can't say what it carries, so it goes too.
    """
    if user is None and applications is None:
        raise ValueError("revoke_tokens needs a user, applications, or both")
    condition, device_condition = Q(), Q()
    if user is not None:
        condition &= Q(user=user)
        device_condition &= Q(user=user)
    if applications is not None:
        applications = list(applications)
        condition &= Q(application__in=applications)
        device_condition &= Q(client_id__in=[application.client_id for application in applications])

    revoked: Counter[tuple[int | None, int | None]] = Counter()  # (user, application): tokens
    refresh_tokens = get_refresh_token_model().objects.filter(condition, revoked__isnull=True)
    for refresh_token in refresh_tokens.select_related("access_token"):
        access_token = refresh_token.access_token
        if access_token is None or _carries(access_token, carrying):
            refresh_token.revoke()  # DOT deletes the access token it was issued with, too
            revoked[refresh_token.user_id, refresh_token.application_id] += 1 if access_token is None else 2
    for access_token in get_access_token_model().objects.filter(condition):  # those with no refresh token
        if _carries(access_token, carrying):
            revoke_access_token(access_token)
            revoked[access_token.user_id, access_token.application_id] += 1
    for id_token in get_id_token_model().objects.filter(condition):
        if _carries(id_token, carrying):
            id_token.revoke()
    # DOT consumes a code by deleting it (there is no revoke()); a device code once redeemed too.
    for grant in [
        *get_grant_model().objects.filter(condition),
        *get_device_grant_model().objects.filter(device_condition),
    ]:
        if _carries(grant, carrying):
            grant.delete()
    if user is None:
        _tell_each_person(revoked, applications)
    return sum(revoked.values())


def _tell_each_person(revoked: Counter, applications: list) -> None:
    """An app's tokens were revoked from the app's side: each person who lost some hears of it
    in their own security log (a user's own revocation is recorded by whoever called this)."""
    by_pk = {application.pk: application for application in applications}
    people = get_user_model().objects.in_bulk({user_id for user_id, _ in revoked if user_id})
    for (user_id, application_id), count in revoked.items():
        if user_id in people:
            application = by_pk[application_id]
            record(
                AuditEvent.Kind.TOKEN_REVOKED,
                user=people[user_id],
                application=application.name,
                client_id=application.client_id,
                tokens=count,
                via="app",
            )
