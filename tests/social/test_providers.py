"""Which providers are offered (only fully configured ones) and what each one is asked for."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.social.providers import begin

ROOT = Path(__file__).resolve().parents[2]
ENABLED = "import django; django.setup(); from apps.social.providers import enabled_providers as e; print(__import__('json').dumps([p.name for p in e()]))"


def providers_enabled_by(tmp_path, **variables: str) -> list[str]:
    """Start Django with only these GATEHOUSE_* variables; return the providers it offers."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    environment.update(variables, GATEHOUSE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", ENABLED], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_provider_is_offered_only_with_its_key_and_secret(tmp_path):
    enabled = providers_enabled_by(
        tmp_path,
        GATEHOUSE_GOOGLE_CLIENT_ID="google-client",  # no secret
        GATEHOUSE_GITHUB_CLIENT_SECRET="github-secret",  # no key
        GATEHOUSE_FACEBOOK_CLIENT_ID="facebook-app",
        GATEHOUSE_FACEBOOK_CLIENT_SECRET="facebook-secret",
        GATEHOUSE_OIDC_CLIENT_ID="oidc-client",  # no issuer
        GATEHOUSE_OIDC_CLIENT_SECRET="oidc-secret",
    )
    assert enabled == ["facebook"]


def test_every_provider_is_offered_when_fully_configured(tmp_path):
    enabled = providers_enabled_by(
        tmp_path,
        GATEHOUSE_GOOGLE_CLIENT_ID="google-client",
        GATEHOUSE_GOOGLE_CLIENT_SECRET="google-secret",
        GATEHOUSE_GITHUB_CLIENT_ID="github-client",
        GATEHOUSE_GITHUB_CLIENT_SECRET="github-secret",
        GATEHOUSE_FACEBOOK_CLIENT_ID="facebook-app",
        GATEHOUSE_FACEBOOK_CLIENT_SECRET="facebook-secret",
        GATEHOUSE_OIDC_ISSUER_URL="https://id.example.org",
        GATEHOUSE_OIDC_CLIENT_ID="oidc-client",
        GATEHOUSE_OIDC_CLIENT_SECRET="oidc-secret",
    )
    assert enabled == ["google-oauth2", "github", "facebook", "oidc"]


def test_oidc_without_a_secret_is_not_offered(tmp_path):
    enabled = providers_enabled_by(
        tmp_path, GATEHOUSE_OIDC_ISSUER_URL="https://id.example.org", GATEHOUSE_OIDC_CLIENT_ID="oidc-client"
    )
    assert enabled == []


@pytest.mark.parametrize(
    ("provider", "scope"),
    [
        ("google-oauth2", "email profile"),
        ("github", "user:email"),
        ("facebook", "email"),
        ("oidc", "openid profile email"),
    ],
)
def test_authorization_request_asks_for_the_recipes_scopes(client, fakes, provider, scope):
    assert begin(client, provider)["scope"] == scope
