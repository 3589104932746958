"""Rules for the URIs a developer registers, with messages that say what to do instead.

DOT's `Application.clean()` still runs after these (the console edits the model through a
ModelForm); these run first so a developer reads "use https" rather than "invalid_scheme".
"""

import re
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from apps.oauth.supported import is_loopback_uri

# Schemes that are not private-use: a browser or the OS already gives them a meaning.
RESERVED_SCHEMES = frozenset(
    {"http", "https", "javascript", "data", "file", "ftp", "ws", "wss", "about", "blob", "mailto", "vbscript"}
)
# RFC 8252 §7.1: a private-use scheme is a reverse domain name the developer controls.
PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+$")

_url_validator = URLValidator(schemes=["http", "https"])


def is_private_use_uri(uri: str) -> bool:
    """`com.example.app:/callback`: an RFC 8252 §7.1 private-use scheme redirect."""
    scheme = urlsplit(uri).scheme.lower()
    return scheme not in RESERVED_SCHEMES and bool(PRIVATE_USE_SCHEME.match(scheme))


def split_uris(value: str) -> list[str]:
    """Split what a developer typed (one per line, or space separated) into URIs."""
    return [part for part in re.split(r"\s+", value or "") if part]


def check_redirect_uri(uri: str, *, native: bool) -> None:
    """Raise a ValidationError that says, in words, why `uri` cannot be a redirect URI."""
    if "*" in uri:
        raise ValidationError(
            _("Wildcards are not allowed: register every callback exactly (RFC 9700 §4.1.1)."),
            code="wildcard",
        )
    if "#" in uri:
        raise ValidationError(
            _("Remove the #fragment: a redirect URI cannot have one (RFC 6749 §3.1.2)."), code="fragment"
        )
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ValidationError(_("This is not a valid URI."), code="invalid") from None
    if not parts.scheme:
        raise ValidationError(
            _("Write the full URI, starting with https:// (for example https://app.example.com/callback)."),
            code="relative",
        )
    if "@" in parts.netloc:
        raise ValidationError(
            _("Remove the user name or password before @: credentials do not belong in a redirect URI."),
            code="userinfo",
        )
    scheme = parts.scheme.lower()
    if scheme == "https":
        _check_web_uri(uri)
        return
    if scheme == "http":
        if is_loopback_uri(uri):
            _check_web_uri(uri)
            return
        if parts.hostname == "localhost":
            raise ValidationError(
                _(
                    "Use http://127.0.0.1 (or http://[::1]) instead of localhost: loopback IPs accept any port "
                    "and cannot be hijacked by another host name (RFC 8252 §8.3)."
                ),
                code="localhost",
            )
        raise ValidationError(
            _(
                "Use https. Plain http is only allowed for loopback addresses such as http://127.0.0.1:8080/callback."
            ),
            code="insecure",
        )
    if scheme in RESERVED_SCHEMES:
        raise ValidationError(
            _("The %(scheme)s: scheme cannot be a redirect URI.") % {"scheme": scheme}, code="scheme"
        )
    if not native:
        raise ValidationError(
            _("Custom schemes are for native and mobile apps: make this a public client, or use https."),
            code="private-scheme-confidential",
        )
    if not PRIVATE_USE_SCHEME.match(scheme):
        raise ValidationError(
            _(
                "Name a custom scheme after a domain you own, reversed, such as com.example.app:/callback "
                "(RFC 8252 §7.1)."
            ),
            code="private-scheme-name",
        )
    if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        raise ValidationError(
            _("Write a custom-scheme URI with one slash after the colon, such as %(scheme)s:/callback.")
            % {"scheme": scheme},
            code="private-scheme-form",
        )


def _check_web_uri(uri: str) -> None:
    try:
        _url_validator(uri)
    except ValidationError:
        raise ValidationError(
            _("This is not a valid web address: check the host name and port."), code="invalid"
        ) from None


def check_origin(origin: str) -> None:
    """An allowed CORS origin: `https://host[:port]`, nothing after it."""
    parts = urlsplit(origin)
    if parts.scheme != "https":
        raise ValidationError(_("Use an https origin, such as https://app.example.com."), code="insecure")
    if "*" in origin:
        raise ValidationError(_("Wildcards are not allowed: list every origin."), code="wildcard")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValidationError(
            _("An origin is only the scheme, host and port, such as https://app.example.com:8443."),
            code="path",
        )
    _check_web_uri(origin)


def same_uri_key(uri: str) -> str:
    """`uri` with its scheme and host in lower case: RFC 3986 §6.2.2.1 says those ignore case,
    so two URIs that differ only there name the same place."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def clean_uri_list(value: str, *, check, label: str) -> list[str]:
    """Validate every URI in `value` with `check`; report each bad one with its position."""
    uris = split_uris(value)
    errors: list[ValidationError] = []
    seen: dict[str, tuple[int, str]] = {}
    for position, uri in enumerate(uris, start=1):
        key = same_uri_key(uri)
        if key in seen:
            first, earlier = seen[key]
            words = {"label": label, "position": position, "uri": uri, "first": first, "earlier": earlier}
            message = _("%(label)s %(position)s (%(uri)s) is listed twice.") % words
            if earlier != uri:
                message = (
                    _(
                        "%(label)s %(position)s (%(uri)s) is the same address as %(label)s %(first)s "
                        "(%(earlier)s): letter case does not matter in the scheme and host name. "
                        "Keep one of them."
                    )
                    % words
                )
            errors.append(ValidationError(message, code="duplicate"))
            continue
        seen[key] = (position, uri)
        try:
            check(uri)
        except ValidationError as exc:
            errors.extend(
                ValidationError(
                    _("%(label)s %(position)s (%(uri)s): %(message)s")
                    % {"label": label, "position": position, "uri": uri, "message": message}
                )
                for message in exc.messages
            )
    if errors:
        raise ValidationError(errors)
    return uris


def invalid_uris(uris: list[str], *, name: str, native: bool) -> set[int]:
    """Positions of the URIs the form would refuse, so the row editor can mark those rows."""
    invalid, seen = set(), set()
    for position, uri in enumerate(uris):
        try:
            if same_uri_key(uri) in seen:
                raise ValidationError("duplicate")
            seen.add(same_uri_key(uri))
            if name == "allowed_origins":
                check_origin(uri)
            else:
                check_redirect_uri(uri, native=native)
        except ValidationError:
            invalid.add(position)
    return invalid
