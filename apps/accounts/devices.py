"""Plain-language names for the browsers, devices and places that sessions and sign-ins come from."""

import ipaddress
import logging
import re
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext

log = logging.getLogger(__name__)

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chromium", r"Chromium/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("ChromeOS", r"CrOS"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
]
_SCRIPT = "a script"  # a marker, translated where it is shown
_TOOLS = [
    ("curl", r"^curl/"),
    ("Python", r"python-requests|^Python"),
    (_SCRIPT, r"^(Wget|Go-http-client|okhttp)"),
]


@lru_cache(maxsize=512)
def _parse_user_agent(user_agent: str) -> tuple[str, str]:
    """(browser or tool, system) named in a User-Agent header; cached, so free of translations."""
    for name, pattern in _TOOLS:
        if re.search(pattern, user_agent):
            return name, ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    if "HeadlessChrome" in user_agent:
        browser = "Headless Chrome"
    return browser, system


def describe_user_agent(user_agent: str) -> str:
    """'Firefox on Windows' from a User-Agent header; 'Unknown device' when it says nothing useful."""
    if not user_agent:
        return gettext("Unknown device")
    browser, system = _parse_user_agent(user_agent)
    if browser == _SCRIPT:
        return gettext("a script")
    if browser and system:
        # Translators: a browser and an operating system, e.g. "Firefox on Windows".
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("Unknown device")


@lru_cache(maxsize=1)
def _geoip_reader():
    """A MaxMind reader when GEOIP_PATH names a GeoLite2-City database and geoip2 is installed."""
    path = getattr(settings, "GEOIP_PATH", None)
    if not path:
        return None
    try:
        import geoip2.database  # optional: only with a GeoIP database

        return geoip2.database.Reader(str(path))
    except Exception:  # noqa: BLE001 - no database means "no location", never an error page
        log.warning("GEOIP_PATH is set but the database could not be opened: %s", path)
        return None


def describe_location(ip: str | None) -> str:
    """'Berlin, Germany' for a public address when a GeoIP database is configured, else ''."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if address.is_loopback:
        return gettext("This computer")
    if address.is_private or address.is_link_local:
        return gettext("Local network")
    return _geoip_location(ip)


@lru_cache(maxsize=2048)
def _geoip_location(ip: str) -> str:
    """The GeoIP city and country of a public address (names as the database gives them), or ''."""
    reader = _geoip_reader()
    if reader is None:
        return ""
    try:
        city = reader.city(ip)
    except Exception:  # noqa: BLE001 - unknown address
        return ""
    return ", ".join(part for part in (city.city.name, city.country.name) if part)


def device_kind(user_agent: str) -> str:
    """'phone' or 'computer', for the icon next to a session."""
    return "phone" if re.search(r"Mobile|iPhone|Android|iPad", user_agent or "") else "computer"
