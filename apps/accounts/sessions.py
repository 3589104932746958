"""Which browser session someone signs out of, told to the apps that depend on it.

Each signed-in browser session gets a random id of its own (`browser_session_id`), kept in the
session's data: it survives the key rotation of a password change and dies with the session.
It is what OpenID Connect calls `sid`; never the session key, which is a credential.

Signing out happens here (Django's logout) or from a settings page (allauth's usersessions
adapter, apps.accounts.adapters); apps register what should follow (apps.oauth: back-channel
logout) from their AppConfig.ready(), since accounts may not import them.
"""

import secrets
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

SID_SESSION_KEY = "gatehouse_sid"

_hooks: dict[str, Callable] = {}


def browser_session_id(session) -> str:
    """The id of this signed-in browser session, made on first use."""
    sid = session.get(SID_SESSION_KEY)
    if not isinstance(sid, str) or not sid:
        sid = session[SID_SESSION_KEY] = secrets.token_urlsafe(24)
    return sid


def stored_session_id(session_key: str) -> str:
    """The id kept in a stored session (another browser's), "" when it has none or is gone."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    sid = store.load().get(SID_SESSION_KEY) if store.exists(session_key) else None
    return sid if isinstance(sid, str) else ""


def register_sign_out_hook(name: str, hook: Callable) -> None:
    """Call `hook(user=, sid=, request=)` whenever a browser session of `user` signs out."""
    _hooks[name] = hook


def signed_out(*, user, sid: str, request=None) -> None:
    if user is None or not sid:
        return
    for hook in _hooks.values():
        hook(user=user, sid=sid, request=request)


@receiver(user_logged_out, dispatch_uid="gatehouse-signed-out")
def _on_logout(sender, request, user, **kwargs):
    # Sent before the session is flushed, so its id is still there.
    session = getattr(request, "session", None)
    sid = session.get(SID_SESSION_KEY) if session is not None else None
    if isinstance(sid, str):
        signed_out(user=user, sid=sid, request=request)
