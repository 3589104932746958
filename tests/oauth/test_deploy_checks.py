"""`manage.py check --deploy` passes with production settings; DOT's RFC 9700 checks are errors."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def production_env(tmp_path) -> dict:
    # Nothing from the test process: browser tests set DJANGO_ALLOW_ASYNC_UNSAFE (async.E001).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "DJANGO_"))}
    env.update(
        GATEHOUSE_SECRET_KEY=secrets.token_urlsafe(50),
        GATEHOUSE_ALLOWED_HOSTS="id.example.com",
        GATEHOUSE_ISSUER="https://id.example.com/o",
        GATEHOUSE_VAR_DIR=str(tmp_path),
        # An operator's choice (security.W021 otherwise); production-like means they made it.
        GATEHOUSE_HSTS_PRELOAD="true",
        GATEHOUSE_OIDC_RSA_PRIVATE_KEY=django_settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"],
        # Several processes share one cache (gatehouse.W002); the check does not connect to it.
        REDIS_URL="redis://cache.invalid:6379/0",
    )
    return env


def test_check_deploy_with_production_environment_reports_nothing(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_oauth_settings_come_from_the_environment(tmp_path):
    env = {
        **production_env(tmp_path),
        "GATEHOUSE_ACCESS_TOKEN_SECONDS": "900",
        "GATEHOUSE_REFRESH_TOKEN_SECONDS": "7200",
        "GATEHOUSE_AUTHORIZATION_CODE_SECONDS": "60",
        "GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS": "86400",
    }
    script = (
        "import django; django.setup(); from django.conf import settings as s; p = s.OAUTH2_PROVIDER; "
        "print(p['ACCESS_TOKEN_EXPIRE_SECONDS'], p['REFRESH_TOKEN_EXPIRE_SECONDS'], "
        "p['AUTHORIZATION_CODE_EXPIRE_SECONDS'], s.GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS, "
        "p['OIDC_ISS_ENDPOINT'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["900", "7200", "60", "86400", "https://id.example.com/o"], result.stderr


def test_turning_refresh_reuse_protection_off_fails_the_deploy_check(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "REFRESH_TOKEN_REUSE_PROTECTION": False}
    with pytest.raises(SystemCheckError, match=r"oauth2_provider\.E002"):
        call_command("check", deploy=True, fail_level="ERROR")


def test_allowing_http_redirect_uris_fails_the_deploy_check(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]}
    with pytest.raises(SystemCheckError, match=r"oauth2_provider\.E003"):
        call_command("check", deploy=True, fail_level="ERROR")


def test_a_signing_key_generated_on_the_machine_is_a_deploy_warning(settings):
    settings.GATEHOUSE_OIDC_KEY_FROM_ENVIRONMENT = False
    with pytest.raises(SystemCheckError, match=r"gatehouse\.W001"):
        call_command("check", deploy=True, fail_level="WARNING")


def test_a_cache_of_each_process_its_own_is_a_deploy_warning(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with pytest.raises(SystemCheckError, match=r"gatehouse\.W002"):
        call_command("check", deploy=True, fail_level="WARNING")


def test_without_csrf_middleware_wrapped_or_not_check_deploy_warns(settings):
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if "Csrf" not in path]
    with pytest.raises(SystemCheckError, match=r"gatehouse\.W003"):
        call_command("check", deploy=True, fail_level="WARNING")


def test_the_wrapped_csrf_middleware_still_wants_secure_cookies(settings):
    settings.CSRF_COOKIE_SECURE = False
    with pytest.raises(SystemCheckError, match=r"gatehouse\.W016"):
        call_command("check", deploy=True, fail_level="WARNING")
