"""How long the token endpoint spends authenticating a client: gatehouse_sha256 against PBKDF2.

Each figure is a full request through Django's middleware and the token endpoint, set
against a bare Django view in the same run, so the numbers mean the same on any machine.
It runs on its own throwaway SQLite database and stops by itself:

    .venv/bin/python bench/token_endpoint.py [--requests 300] [--seconds 8]

Requests name a scope the client may not have, so the endpoint authenticates the client
and then stops (`invalid_scope`) before issuing anything: what is timed is authentication.
"""

import argparse
import base64
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote_plus, urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET = "bench-client-secret-" + "s" * 43
FORM = "application/x-www-form-urlencoded"


def set_up(var_dir: str) -> None:
    """A private database and settings that let a loop hammer the endpoint."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        GATEHOUSE_VAR_DIR=var_dir,
        GATEHOUSE_SSL_REDIRECT="false",
        GATEHOUSE_LOG_LEVEL="WARNING",
        GATEHOUSE_OAUTH_RATE_PER_CLIENT="100000000",
        GATEHOUSE_OAUTH_RATE_PER_ADDRESS="100000000",
    )
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # every request here is a 400
    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files here


def bare(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def make_clients():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from apps.oauth.models import Application, ClientSecret
    from apps.oauth.secrets import create_client_secret

    owner = get_user_model().objects.create(username="bench", email="bench@example.com")

    def client_app(name: str) -> Application:
        return Application.objects.create(
            name=name,
            user=owner,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
            client_secret="",
            hash_client_secret=False,
            allowed_scopes=["read"],
        )

    fast = client_app("gatehouse_sha256 client")
    create_client_secret(application=fast, value=SECRET)
    slow = client_app("PBKDF2 client")
    ClientSecret.objects.create(
        application=slow, secret_hash=make_password(SECRET, hasher="pbkdf2_sha256"), last_four=SECRET[-4:]
    )
    return fast, slow


def timed(send, *, requests: int, seconds: float) -> tuple[float, int]:
    """Mean seconds per request over at most `requests` requests or `seconds` seconds."""
    send()  # warm caches and connections
    done, started = 0, time.perf_counter()
    while done < requests and time.perf_counter() - started < seconds:
        send()
        done += 1
    return (time.perf_counter() - started) / done, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=300, help="at most this many requests per measurement"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="and at most this long per measurement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as var_dir:
        set_up(var_dir)
        from django.test import Client, override_settings
        from django.urls import include, path
        from django.views.decorators.csrf import csrf_exempt

        urlconf = type(sys)("bench_urls")
        urlconf.urlpatterns = [path("bench/bare/", csrf_exempt(bare)), path("", include("portal.urls"))]
        fast, slow = make_clients()
        http = Client()
        body = urlencode({"grant_type": "client_credentials", "scope": "admin"})

        def token_request(application):
            credentials = f"{quote_plus(application.client_id)}:{quote_plus(SECRET)}".encode()
            header = "Basic " + base64.b64encode(credentials).decode()

            def send():
                response = http.post("/o/token/", body, content_type=FORM, HTTP_AUTHORIZATION=header)
                # 400 invalid_scope proves the client authenticated (a wrong secret would be 401).
                assert response.status_code == 400 and response.json()["error"] == "invalid_scope", (
                    response.content
                )

            return send

        with override_settings(ROOT_URLCONF=urlconf):
            measurements = [
                (
                    "bare Django view",
                    timed(lambda: http.post("/bench/bare/", body, content_type=FORM), **vars(args)),
                ),
                ("token endpoint, gatehouse_sha256", timed(token_request(fast), **vars(args))),
                ("token endpoint, PBKDF2", timed(token_request(slow), **vars(args))),
            ]

    baseline = measurements[0][1][0]
    print("Client authentication at the token endpoint (Django test client, SQLite)")
    for label, (mean, count) in measurements:
        relative = f"{mean / baseline:8.1f}x bare view"
        print(f"  {label:<34} {mean * 1000:9.2f} ms/request  {relative}  ({count} requests)")
    sha, pbkdf2 = measurements[1][1][0], measurements[2][1][0]
    print(
        f"  PBKDF2 makes each token request {pbkdf2 / sha:.0f}x slower than gatehouse_sha256: "
        f"+{(pbkdf2 - sha) * 1000:.0f} ms of hashing per client authentication."
    )


if __name__ == "__main__":
    main()
