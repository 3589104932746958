from django.urls import NoReverseMatch, reverse

# The account-settings pages, in the order of the side navigation (Google's and GitHub's shape),
# each with the pages below it that keep its link current.
SETTINGS_PAGES = [
    ("accounts:profile", "Profile", ()),
    ("accounts:security", "Security", ("accounts:delete-account",)),
    ("identities:sign-in-methods", "Sign-in methods", ()),
    ("oauth:connected-apps", "Connected apps", ("oauth:connected-app",)),
    ("apikeys:key-list", "API keys", ()),
    ("audit:security-log", "Security log", ()),
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
