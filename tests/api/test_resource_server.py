"""Resource-server mode: a second Gatehouse process, with its own database, checks tokens at
the first one's /o/introspect/ and sees a revocation within its cache time. It answers only
what introspection tells it (/api/token/info/); what lives on the authorization server is a 404.
The second process runs on a clock the test sets (tests/api/clocked_wsgi.py)."""

import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from apps.oauth.models import Application
from apps.oauth.secrets import create_client_secret
from tests.api.conftest import bearer
from tests.oauth_flow import CLIENT_SECRET, form_post, obtain_tokens

BASE_DIR = Path(__file__).resolve().parents[2]
CACHE_SECONDS = 2
RESOURCE_SERVER_CLIENT_ID = "photo-api-resource-server"
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def introspecting_app(developer) -> Application:
    """The second service's registration at the first: a client staff marked as a resource server."""
    app = Application.objects.create(
        client_id=RESOURCE_SERVER_CLIENT_ID,
        name="Photo API",
        user=developer,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        client_secret="",
        hash_client_secret=False,
        is_resource_server=True,
    )
    create_client_secret(application=app, value=CLIENT_SECRET)
    return app


@dataclass(frozen=True)
class RunningResourceServer:
    url: str
    clock_file: Path

    def set_clock(self, now: float) -> None:
        """Stop the resource server's clock at `now` (Unix time) for the requests that follow."""
        self.clock_file.write_text(repr(now))


@contextmanager
def running_resource_server(live_server, tmp_path: Path, **extra_env: str):
    """A real second Gatehouse (gunicorn, own SQLite file, no shared cache) in resource-server mode."""
    port = free_port()
    clock_file = tmp_path / "clock"
    clock_file.write_text(repr(time.time()))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'resource-server.sqlite3'}",
        GATEHOUSE_VAR_DIR=str(tmp_path),
        GATEHOUSE_SECRET_KEY=secrets.token_urlsafe(40),
        GATEHOUSE_ALLOWED_HOSTS="127.0.0.1",
        GATEHOUSE_DEBUG="false",
        GATEHOUSE_SSL_REDIRECT="false",
        GATEHOUSE_RESOURCE_SERVER_INTROSPECTION_URL=f"{live_server.url}/o/introspect/",
        GATEHOUSE_RESOURCE_SERVER_CLIENT_ID=RESOURCE_SERVER_CLIENT_ID,
        GATEHOUSE_RESOURCE_SERVER_CLIENT_SECRET=CLIENT_SECRET,
        GATEHOUSE_RESOURCE_SERVER_CACHE_SECONDS=str(CACHE_SECONDS),
        GATEHOUSE_TEST_CLOCK_FILE=str(clock_file),
        **extra_env,
    )
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=BASE_DIR, check=True, timeout=300
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "tests.api.clocked_wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if requests.get(f"{url}/healthz/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or the worker still booting
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the resource server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
        yield RunningResourceServer(url=url, clock_file=clock_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def resource_server_process(live_server, tmp_path_factory):
    with running_resource_server(live_server, tmp_path_factory.mktemp("resource-server")) as server:
        yield server


@pytest.fixture
def resource_server_url(resource_server_process, introspecting_app) -> str:
    resource_server_process.set_clock(time.time())  # each test starts at the real time
    return resource_server_process.url


def test_resource_server_sees_a_revocation_within_its_cache_time(
    client, user, application, resource_server_url, resource_server_process
):
    tokens = obtain_tokens(client, user=user, application=application, scope="read")
    info = f"{resource_server_url}/api/token/info/"
    checked_at = time.time()
    resource_server_process.set_clock(checked_at)

    response = requests.get(info, headers=bearer(tokens["access_token"]), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "ada"  # known only from the introspection answer

    revoked = form_post(
        client,
        reverse("oauth2_provider:revoke-token"),
        {"token": tokens["access_token"], "client_id": application.client_id, "client_secret": CLIENT_SECRET},
    )
    assert revoked.status_code == 200
    # Until the cache time is up the resource server answers from its cached copy; from that
    # second on it must ask again, and is refused.
    resource_server_process.set_clock(checked_at + CACHE_SECONDS - 0.1)
    assert requests.get(info, headers=bearer(tokens["access_token"]), timeout=10).status_code == 200
    resource_server_process.set_clock(checked_at + CACHE_SECONDS)
    assert requests.get(info, headers=bearer(tokens["access_token"]), timeout=10).status_code == 401


def test_resource_server_checks_scopes_and_rejects_unknown_tokens(
    client, user, application, resource_server_url
):
    tokens = obtain_tokens(client, user=user, application=application, scope="read_profile")
    wrong_scope = requests.get(
        f"{resource_server_url}/api/me/", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert wrong_scope.status_code == 403
    assert 'error="insufficient_scope"' in wrong_scope.headers["WWW-Authenticate"]
    unknown = requests.get(
        f"{resource_server_url}/api/token/info/", headers=bearer("never-issued"), timeout=10
    )
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]


def test_resource_server_describes_the_token_from_introspection_only(
    client, user, application, resource_server_url
):
    tokens = obtain_tokens(client, user=user, application=application, scope="read write")
    response = requests.get(
        f"{resource_server_url}/api/token/info/", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "type": "access_token",
        "scope": "read write",
        "scopes": ["read", "write"],
        # Not known there: DOT keeps the introspected user name and scopes, and caches the
        # answer for a shorter time than the token lives.
        "expires": None,
        "expires_in": None,
        "application": None,
        "user": {"id": None, "username": "ada"},
    }


def test_resource_server_refuses_what_lives_on_the_authorization_server(
    client, user, application, resource_server_url
):
    scope = "read write read_profile write_profile"
    token = obtain_tokens(client, user=user, application=application, scope=scope)["access_token"]
    for method, path in [
        ("get", "/api/me/"),
        ("get", "/api/profile/"),
        ("patch", "/api/profile/"),
        ("post", "/api/token/revoke/"),
        ("get", "/api/tokens/"),
        ("post", "/api/tokens/revoke-all/"),
        ("get", "/api/connected-apps/"),
        ("delete", f"/api/connected-apps/{application.client_id}/"),
        ("post", "/api/token/refresh/"),
    ]:
        response = requests.request(
            method, f"{resource_server_url}{path}", json={"bio": "changed"}, headers=bearer(token), timeout=10
        )
        assert response.status_code == 404, (method, path, response.text)
        body = response.json()
        assert body["error"] == "not_found"
        assert "resource server" in body["error_description"]
    # Nothing happened at the authorization server, and the token still works everywhere.
    assert client.get("/api/profile/", headers=bearer(token)).json()["bio"] == ""
    assert len(client.get("/api/connected-apps/", headers=bearer(token)).json()) == 1
    still = requests.get(f"{resource_server_url}/api/token/info/", headers=bearer(token), timeout=10)
    assert still.status_code == 200


def test_resource_server_checks_dpop_proofs_of_bound_tokens(client, user, application, resource_server_url):
    """RFC 9449 6.2 and 7: introspection names the key; the resource server checks the proof."""
    from tests.dpop_client import DPoPKey, dpop_auth
    from tests.oauth.test_dpop import exchange

    key = DPoPKey()
    token = exchange(client, application, key, user=user).json()["access_token"]
    info = f"{resource_server_url}/api/token/info/"

    def call(proof_key: DPoPKey, *, scheme="DPoP", **claims):
        headers = {"Authorization": f"{scheme} {token}"}
        headers["DPoP"] = proof_key.proof("GET", info, access_token=token, **claims)
        return requests.get(info, headers=headers, timeout=10)

    assert call(key).status_code == 200
    stolen_as_bearer = call(key, scheme="Bearer")
    assert stolen_as_bearer.status_code == 401
    assert stolen_as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")
    assert call(DPoPKey()).status_code == 401
    assert call(key, htu=f"{resource_server_url}/api/me/").status_code == 401
    assert call(key).status_code == 200  # a fresh proof still works, from the cached answer
    proof = dpop_auth(token, key.proof("GET", info, access_token=token))
    headers = {"Authorization": proof["HTTP_AUTHORIZATION"], "DPoP": proof["HTTP_DPOP"]}
    assert requests.get(info, headers=headers, timeout=10).status_code == 200
    assert requests.get(info, headers=headers, timeout=10).status_code == 401  # replayed
