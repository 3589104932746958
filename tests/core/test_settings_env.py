"""Start-up reads the environment strictly: a wrong value names the variable and stops."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import env

ROOT = Path(__file__).resolve().parents[2]
BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"


def start_django(**variables: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(variables, DJANGO_SETTINGS_MODULE="portal.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEHOUSE_DEBUG", "maybe"),
        ("GATEHOUSE_ACCESS_TOKEN_SECONDS", "an hour"),
        ("GATEHOUSE_EMAIL", "pigeon"),
        ("DATABASE_URL", "mysql://db/gatehouse"),
        ("GATEHOUSE_OIDC_RSA_PRIVATE_KEY", "not-a-key"),
        ("GATEHOUSE_OIDC_RSA_PRIVATE_KEY", BROKEN_PEM),
        ("GATEHOUSE_OIDC_RSA_PRIVATE_KEYS_INACTIVE", "garbage"),
        ("DATABASE_URL", "postgres://u@h:notaport/db"),
        ("REDIS_URL", "redis://cache:bad/0"),
        ("GATEHOUSE_ISSUER", "https://id.example.com/o?x=1"),
        ("GATEHOUSE_ISSUER", "id.example.com"),
        ("GATEHOUSE_DEBUG", "1"),
    ],
)
def test_invalid_environment_value_stops_startup_naming_the_variable(name, value, tmp_path):
    result = start_django(**{name: value, "GATEHOUSE_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_empty_environment_starts(tmp_path):
    result = start_django(GATEHOUSE_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "keys" / "oidc.pem").exists(), (
        "the development signing key is generated on first start"
    )


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("GATEHOUSE_THING_FILE", str(secret_file))
    assert env.env_secret("GATEHOUSE_THING") == "from-a-file"


def test_secret_and_secret_file_together_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_THING", "a")
    monkeypatch.setenv("GATEHOUSE_THING_FILE", str(tmp_path / "b"))
    with pytest.raises(ImproperlyConfigured, match="GATEHOUSE_THING"):
        env.env_secret("GATEHOUSE_THING")


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("GATEHOUSE_ALLOWED_HOSTS", "id.example.com, auth.example.com,")
    assert env.env_list("GATEHOUSE_ALLOWED_HOSTS", []) == ["id.example.com", "auth.example.com"]


def test_networks_are_addresses_or_cidrs(monkeypatch):
    monkeypatch.setenv("GATEHOUSE_METRICS_ALLOW", "10.0.0.0/8, 192.0.2.7,::1")
    assert [str(n) for n in env.env_networks("GATEHOUSE_METRICS_ALLOW")] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "::1/128",
    ]


def test_a_network_that_is_not_one_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("GATEHOUSE_METRICS_ALLOW", "10.0.0.0/8,prometheus.internal")
    with pytest.raises(ImproperlyConfigured, match="GATEHOUSE_METRICS_ALLOW"):
        env.env_networks("GATEHOUSE_METRICS_ALLOW")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("False", False), ("TRUE", True)])
def test_booleans_accept_true_or_false(raw, expected, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_FLAG", raw)
    assert env.env_bool("GATEHOUSE_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["1", "0", "yes", "off"])
def test_booleans_refuse_other_words(raw, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="GATEHOUSE_FLAG must be true or false"):
        env.env_bool("GATEHOUSE_FLAG", False)


def test_a_real_key_from_the_environment_is_used_and_the_data_folder_is_made(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    var = tmp_path / "not-yet"
    result = start_django(GATEHOUSE_VAR_DIR=str(var), GATEHOUSE_OIDC_RSA_PRIVATE_KEY=pem)
    assert result.returncode == 0, result.stderr
    assert var.is_dir() and not (var / "keys").exists()


@pytest.mark.parametrize(
    ("variables", "backend"),
    [
        ({}, "console"),
        ({"GATEHOUSE_EMAIL": "file"}, "filebased"),
        (
            {
                "GATEHOUSE_EMAIL": "smtp",
                "GATEHOUSE_EMAIL_HOST": "smtp.example.com",
                "GATEHOUSE_EMAIL_PORT": "2525",
            },
            "smtp",
        ),
    ],
)
def test_email_goes_to_the_console_a_file_or_smtp(tmp_path, variables, backend):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.GATEHOUSE_EMAIL_DELIVERY_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_FILE_PATH)"
    )
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(variables, GATEHOUSE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    used, host, port, outbox = result.stdout.split()
    assert f".{backend}." in used, result.stderr
    assert outbox == str(tmp_path / "outbox")
    if backend == "smtp":
        assert (host, port) == ("smtp.example.com", "2525")


@pytest.mark.parametrize(
    "url",
    ["postgres:///gatehouse", "postgresql://user@/gatehouse?host=/var/run/postgresql", "sqlite:////tmp/g.db"],
)
def test_database_urls_without_a_host_are_fine(url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    assert env.env_database()["NAME"]


@pytest.mark.parametrize(
    ("variables", "engine"),
    [
        ({}, "django.contrib.sessions.backends.db"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "apps.accounts.session_store"),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0", "GATEHOUSE_SESSION_ENGINE": "db"},
            "django.contrib.sessions.backends.db",
        ),
    ],
)
def test_sessions_are_read_from_redis_when_there_is_one(tmp_path, variables, engine):
    script = "import django; django.setup(); from django.conf import settings as s; print(s.SESSION_ENGINE)"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(variables, GATEHOUSE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == engine, result.stderr
