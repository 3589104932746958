from functools import cache

from django.core.signals import setting_changed
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

# The account-settings pages, in the order of the side navigation (Google's and GitHub's shape),
# each with the pages below it that keep its link current.
SETTINGS_PAGES = [
    ("accounts:profile", _("Profile"), ()),
    ("accounts:security", _("Security"), ("accounts:delete-account",)),
    ("identities:sign-in-methods", _("Sign-in methods"), ()),
    ("oauth:connected-apps", _("Connected apps"), ("oauth:connected-app",)),
    ("apikeys:key-list", _("API keys"), ()),
    ("audit:security-log", _("Security log"), ()),
]


def settings_nav(current: str) -> list[dict]:
    """Links for the settings side navigation; pages whose app is not installed are left out."""
    return [
        {"url": url, "label": label, "current": current in (name, *below)}
        for name, label, below, url in _pages(get_script_prefix())
    ]


@cache
def _pages(script_prefix: str) -> list[tuple]:
    # Reversed once per prefix the site is served under: every settings page renders these links.
    pages = []
    for name, label, below in SETTINGS_PAGES:
        try:
            pages.append((name, label, below, reverse(name)))
        except NoReverseMatch:
            continue
    return pages


def _urlconf_changed(setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _pages.cache_clear()


setting_changed.connect(_urlconf_changed)
