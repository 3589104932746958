"""Account services shared by the settings pages and the REST API (one service, two callers)."""

import functools
import hashlib
from dataclasses import dataclass, field, replace
from importlib import import_module
from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import modelform_factory
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from apps.accounts.deletion import deletion_steps
from apps.accounts.devices import describe_location, describe_user_agent
from apps.accounts.forms import ProfileForm
from apps.accounts.models import Profile, User
from apps.audit.models import AuditEvent
from apps.audit.services import client_ip, record
from apps.core import rowcache, stamps


def cached_profile(*, user: User) -> Profile:
    """The user's profile from the shared cache, for the API (every save of it invalidates it):
    the one loaded with the credential (apps.core.rowcache), or else fetched."""
    loaded = User.profile.related.get_cached_value(user, default=None)
    if loaded is not None:
        return loaded
    cached = rowcache.fetch(Profile.objects.all(), field="user_id", value=user.pk)
    return cached or Profile.objects.for_user(user)


# "Last active" on the sessions pages, written at most once a minute per session. allauth's own
# USERSESSIONS_TRACK_ACTIVITY (off in settings) writes it on every signed-in request: five
# statements in a transaction of their own, for a time the pages show to the minute.
SESSION_ACTIVITY_SECONDS = 60


def note_session_activity(request: HttpRequest) -> None:
    """What USERSESSIONS_TRACK_ACTIVITY does on each request (allauth's own `create_from_request`:
    the row, last seen, address, user agent), once per SESSION_ACTIVITY_SECONDS per session."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or not session.session_key or user is None or not user.is_authenticated:
        return
    # The session key is a credential: the cache (Redis) only ever sees a hash of it.
    key = "usersessions:seen:" + hashlib.sha256(session.session_key.encode()).hexdigest()
    if stamps.first_in_period(key, SESSION_ACTIVITY_SECONDS):
        UserSession.objects.create_from_request(request, user=user, session=session)


def profile_form(
    *, user: User, data: dict | None = None, files: dict | None = None, partial: bool = False
) -> ProfileForm:
    """The ProfileForm for `user`; with `partial`, only the fields present in `data`/`files`.

    `data["avatar"] = None` removes the picture; any other `avatar` that is not an upload in
    `files` is a field error (the API documents null, and the form reads only files).

    The form starts from the database row, never from a copy loaded with the request (an API
    call's comes from the shared cache), since saving it writes every field it shows.
    """
    profile = user.profile = Profile.objects.get_or_create(user=user)[0]
    data = dict(data.items()) if data is not None else None
    form_class = ProfileForm
    not_an_upload = False
    if data is not None and "avatar" in data and "avatar" not in (files or {}):
        if data.pop("avatar") is None:
            data["avatar-clear"] = "on"  # the form's own way: its clear checkbox
        else:
            not_an_upload = True
    if partial and data is not None:
        present = (
            set(data) | set(files or {}) | ({"avatar"} if "avatar-clear" in data or not_an_upload else set())
        )
        fields = [name for name in ProfileForm.Meta.fields if name in present]
        form_class = modelform_factory(Profile, form=ProfileForm, fields=fields)
    form = form_class(data, files, instance=profile)
    if not_an_upload:
        message = _("Upload a PNG, JPEG or WebP picture as a file (multipart), or send null to remove it.")
        form.add_error("avatar", ValidationError(message, code="invalid"))
    return form


def save_profile(*, form: ProfileForm, request: HttpRequest | None = None) -> Profile:
    """Save a valid ProfileForm, remove a replaced picture from storage, record the change."""
    profile: Profile = form.instance
    # The form has already put the new file on the instance; the old one is in its initial data.
    initial = form.initial.get("avatar")
    old_avatar = (getattr(initial, "name", initial) or "") if "avatar" in form.changed_data else ""
    storage = profile.avatar.storage
    with transaction.atomic():
        profile = form.save()
        if form.changed_data:
            # Field names only: the values are the user's and the audit trail outlives them.
            fields = form.changed_data
            record(AuditEvent.Kind.PROFILE_UPDATED, user=profile.user, request=request, fields=fields)
        if old_avatar and old_avatar != profile.avatar.name:
            transaction.on_commit(lambda: storage.delete(old_avatar))
    return profile


def update_profile(
    *,
    user: User,
    data: dict[str, Any],
    files: dict | None = None,
    partial: bool = False,
    request: HttpRequest | None = None,
) -> Profile:
    """Validate and save profile fields; raise ValidationError (error_dict per field) on bad input.

    `data` holds display_name, bio and website; `files` may hold an uploaded `avatar`, and
    `data["avatar"] = None` removes the picture. With `partial`, absent fields keep their values.
    """
    form = profile_form(user=user, data=data, files=files, partial=partial)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return save_profile(form=form, request=request)


def save_language(*, user: User, language: str, request: HttpRequest | None = None) -> Profile:
    """Save `user`'s language (a code of settings.LANGUAGES, or "" to follow the browser)."""
    return update_profile(user=user, data={"language": language}, partial=True, request=request)


# --- Sessions ------------------------------------------------------------------------------


def _live_session_keys(user: User, keys: list[str]) -> set[str]:
    """Which of `keys` are unexpired sessions still signed in as `user` (one query for DB sessions)."""
    if not issubclass(import_module(settings.SESSION_ENGINE).SessionStore, DBStore):
        live = {s.session_key for s in UserSession.objects.purge_and_list(user)}
        return live & set(keys)
    hashes = {user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()}
    live = set()
    for session in Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()):
        data = session.get_decoded()
        if data.get(SESSION_KEY) == str(user.pk) and any(
            constant_time_compare(data.get(HASH_SESSION_KEY, ""), h) for h in hashes
        ):
            live.add(session.session_key)
    return live


def list_sessions(*, user: User) -> list[UserSession]:
    """The user's signed-in sessions, most recently active first; forgets the ones that ended."""
    sessions = list(UserSession.objects.filter(user=user).order_by("-last_seen_at", "-pk"))
    live = _live_session_keys(user, [s.session_key for s in sessions])
    ended = [s.pk for s in sessions if s.session_key not in live]
    if ended:
        UserSession.objects.filter(pk__in=ended).delete()
    return [s for s in sessions if s.session_key in live]


def end_sessions(*, user: User, sessions: list[UserSession]) -> int:
    """Sign out `sessions` of `user` (allauth's adapter ends them and the audit records each)."""
    sessions = [s for s in sessions if s.user_id == user.pk]
    get_usersessions_adapter().end_sessions(sessions)
    return len(sessions)


# --- New-device sign-ins -------------------------------------------------------------------

DEVICE_COOKIE = "gatehouse_device"
DEVICE_COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_MAX_TAGS = 10


def _device_tag(user: User) -> str:
    return salted_hmac("gatehouse.known-device", str(user.pk), algorithm="sha256").hexdigest()[:20]


def known_device_tags(request: HttpRequest) -> list[str]:
    return [tag for tag in request.COOKIES.get(DEVICE_COOKIE, "").split(".") if tag][:_MAX_TAGS]


def notice_sign_in(*, user: User, request: HttpRequest, response: HttpResponse) -> bool:
    """Email `user` when they sign in from a browser that has not signed in as them before.

    A browser is recognised by a long-lived cookie holding a keyed hash per account that signed
    in there (nothing stored server-side, nothing readable in the cookie). The very first
    sign-in of an account is not news. Returns whether an email was sent.
    """
    tag = _device_tag(user)
    tags = known_device_tags(request)
    is_new = tag not in tags
    signed_in_before = AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.SIGNED_IN)[:2].count() > 1
    if is_new and signed_in_before:
        agent = request.META.get("HTTP_USER_AGENT", "")
        ip = client_ip(request)
        get_account_adapter(request).send_notification_mail(
            "account/email/new_sign_in",
            user,
            {
                "device": describe_user_agent(agent),
                "location": describe_location(ip),
                "security_url": request.build_absolute_uri(reverse("accounts:security")),
            },
        )
    tags = [tag, *(t for t in tags if t != tag)][:_MAX_TAGS]
    response.set_cookie(
        DEVICE_COOKIE,
        ".".join(tags),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return is_new and signed_in_before


# --- Account deletion ----------------------------------------------------------------------

# Keys that would name the person in an audit record that outlives them.
_PERSONAL_KEYS = {
    *("email", "emails", "name", "display_name", "first_name", "last_name", "full_name", "username"),
    *("ip", "user_agent", "website", "bio"),
}


@dataclass
class DeletionImpact:
    """What deleting an account takes away, shown before the user confirms (each field filled
    in by the deletion step of the app that owns it: apps.accounts.deletion)."""

    applications: list = field(default_factory=list)  # the user's OAuth apps, each with `.affected_users`
    affected_users: int = 0  # distinct other people holding a consent or live token for those apps
    consents: int = 0
    api_keys: int = 0
    tokens: int = 0  # the user's live access tokens


def deletion_impact(*, user: User) -> DeletionImpact:
    """Count what `delete_account` will remove, in a fixed number of queries."""
    impact = DeletionImpact()
    for step in deletion_steps():
        impact = replace(impact, **step.impact(user))
    return impact


def delete_account(*, user: User, request: HttpRequest | None = None) -> None:
    """Delete `user` and everything that lets anyone act as them; keep an anonymised audit record.

    Each app's registered deletion step runs first (oauth revokes the user's tokens and those
    of the user's apps through DOT, then deletes consents and apps; apikeys deletes the keys),
    then the sessions end and the user row goes, taking email addresses, authenticators and
    linked identities with it (all CASCADE to the user).
    """
    impact = deletion_impact(user=user)
    facts: dict[str, Any] = {}
    with transaction.atomic():
        for step in deletion_steps():
            facts.update(step.delete(user))
        for session in UserSession.objects.filter(user=user):
            session.end()  # the session store entry and allauth's record of it
        avatar = Profile.objects.filter(user=user).values_list("avatar", flat=True).first()
        # The trail outlives the person: keep what happened and when, not who or from where.
        for event in AuditEvent.objects.filter(user=user).only("pk", "data").iterator():
            data = {k: v for k, v in event.data.items() if k not in _PERSONAL_KEYS}
            if data != event.data:
                AuditEvent.objects.filter(pk=event.pk).update(data=data)
        AuditEvent.objects.filter(user=user).update(ip_address=None, user_agent="")
        record(
            AuditEvent.Kind.ACCOUNT_DELETED,
            user=user,
            applications_deleted=len(impact.applications),
            affected_users=impact.affected_users,
            consents_deleted=impact.consents,
            api_keys_deleted=impact.api_keys,
            **facts,
        )
        user.delete()
        if avatar:
            storage = Profile._meta.get_field("avatar").storage
            transaction.on_commit(functools.partial(storage.delete, avatar))
    if request is not None:
        # The session is gone already; no logout signal, which would audit a user that no longer exists.
        request.session.flush()
        request.user = AnonymousUser()
