from django.urls import NoReverseMatch, reverse
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
    links = []
    for name, label, below in SETTINGS_PAGES:
        try:
            links.append({"url": reverse(name), "label": label, "current": current in (name, *below)})
        except NoReverseMatch:
            continue
    return links
