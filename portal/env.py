"""Strict readers for GATEHOUSE_* environment variables.

A wrong value stops start-up with a message that names the variable, so a typo in a
deployment never silently falls back to a default.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated IP addresses or CIDR networks (`10.0.0.0/8, 192.0.2.7, ::1`)."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks, not {item!r}.") from None
    return networks


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    value = _raw(name)
    file_name = _raw(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name is not None:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {exc.strerror}.") from None
    return default if value is None else value


def env_url(
    name: str, default: str = "", *, schemes: tuple[str, ...], bare: bool = False, host: bool = True
) -> str:
    """A URL with one of `schemes`, a valid port if any and, with `host`, a host name (file-like
    schemes never need one). `bare` refuses a query and a fragment (an issuer, OIDC Discovery 3).
    """
    value = env_str(name, default)
    if not value:
        return value
    wrong = f"{name} must be a {' or '.join(schemes)} URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
    except ValueError:
        raise ImproperlyConfigured(f"{wrong}, not {value!r}.") from None
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(f"{wrong}, not {value!r}.")
    if host and parts.scheme not in ("sqlite", "unix") and not parts.hostname:
        raise ImproperlyConfigured(f"{name} must name a host, not {value!r}.")
    if bare and (parts.query or parts.fragment):
        raise ImproperlyConfigured(f"{name} must have no query or fragment, not {value!r}.")
    return value


def env_database(name: str = "DATABASE_URL", **options) -> dict | None:
    """Django's DATABASES entry for the URL in `name`, or None when it is not set."""
    # PostgreSQL may be reached through a Unix socket: postgres:///gatehouse has no host.
    url = env_url(name, schemes=("postgres", "postgresql", "sqlite"), host=False)
    if not url:
        return None
    import dj_database_url

    try:
        return dj_database_url.parse(url, **options)
    except (ValueError, dj_database_url.ParseError) as exc:
        raise ImproperlyConfigured(f"{name} is not a database URL Django can use: {exc}") from None


def _rsa_private_key(name: str, pem: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(f"{name} must hold PEM-encoded, unencrypted RSA private keys.")
    return pem


def rsa_private_keys(name: str) -> list[str]:
    """Rotated-out signing keys: PEM RSA private keys separated by a blank line."""
    return [_rsa_private_key(name, pem.strip()) for pem in env_secret(name).split("\n\n") if pem.strip()]


def oidc_signing_key(generated_path: Path) -> str:
    """The OIDC RS256 private key (PEM) from GATEHOUSE_OIDC_RSA_PRIVATE_KEY[_FILE].

    With neither set (development), a key is generated once into `generated_path`, a
    git-ignored folder, so a second start reuses it and issued ID tokens stay verifiable.
    """
    key = env_secret("GATEHOUSE_OIDC_RSA_PRIVATE_KEY")
    if key:
        return _rsa_private_key("GATEHOUSE_OIDC_RSA_PRIVATE_KEY", key)
    if generated_path.exists():
        return generated_path.read_text()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    generated_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Two processes starting together must end up with one key: write aside, then link it in
    # only if no other process got there first.
    partial = generated_path.with_name(f".{generated_path.name}.{os.getpid()}")
    partial.touch(mode=0o600)
    partial.write_text(pem)
    try:
        os.link(partial, generated_path)
    except FileExistsError:
        pem = generated_path.read_text()
    finally:
        partial.unlink()
    return pem
