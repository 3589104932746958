"""The bench's data, made through the product's own code, and the requests that load it.

Runs in bench/run.py's process before gunicorn starts (Django set up with bench.settings):
tokens come from a real authorization-code exchange, the API key from apps.apikeys, client
secrets from apps.oauth.secrets. Only `seed_expired` writes rows directly: measurement
fixtures, stored the way DOT stores tokens (a SHA-256 checksum, no plaintext).
"""

import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

FORM = "application/x-www-form-urlencoded"


@dataclass
class Target:
    """One request wrk repeats: what it sends and what a right answer contains."""

    label: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    expect: str = ""  # text a 200 answer must contain, so a login page is never measured instead
    queries: list[str] = field(default_factory=list)  # SQL of one steady-state request


def set_up() -> str:
    """Django, a migrated database and collected static files; returns what the database is."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's `testserver` host, a local-memory outbox
    call_command("migrate", verbosity=0)
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite":
        # A database the bench did not create: it is emptied, so it must say it is the bench's.
        if "bench" not in name:
            raise SystemExit(
                f"DATABASE_URL names the database {name!r}: the bench empties the database it "
                "runs on, so it only runs on one whose name contains 'bench'."
            )
        call_command("flush", interactive=False, verbosity=0)
    # Production serves hashed static names from a manifest, which pages need to render.
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    return f"{connection.display_name} {version} ({name if connection.vendor != 'sqlite' else 'file'})"


def _person(email: str):
    from allauth.account.models import EmailAddress

    from apps.accounts.models import User

    user = User.objects.create_user(username=email.split("@")[0], email=email, password=None)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def seed() -> list[Target]:
    """Users, apps and credentials; every target checked once through the Django test client."""
    from django.conf import settings
    from django.test import Client

    from apps.apikeys.services import create_api_key
    from apps.oauth.models import Application
    from tests.oauth_flow import (
        CLIENT_SECRET,
        authorize_params,
        basic_auth,
        make_client,
        obtain_tokens,
        pkce_pair,
    )

    person = _person("bench-user@example.com")
    developer = _person("bench-developer@example.com")
    app = make_client(
        developer,
        name="Bench Photo Printer",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "profile", "email", "read"],
    )
    machine = make_client(developer, name="Bench Machine", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    resource_server = make_client(
        developer,
        name="Bench Resource Server",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        is_resource_server=True,
    )
    # The consent this grants is the one row the connected-apps page lists.
    access_token = obtain_tokens(Client(), user=person, application=app, scope="openid profile email read")[
        "access_token"
    ]
    _, api_key = create_api_key(user=person, name="bench", scopes=["read"])
    browser = Client()
    browser.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    session = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    authorize = urlencode(
        authorize_params(app, scope="openid profile email read", challenge=pkce_pair()[1], prompt="consent")
    )

    def basic(client: Application) -> str:
        return basic_auth(client.client_id, CLIENT_SECRET)["HTTP_AUTHORIZATION"]

    form = {"Content-Type": FORM}
    return [
        Target("bare Django view", "GET", "/bench/bare/", expect='"ok"'),
        Target("GET /healthz/", "GET", "/healthz/", expect='"ok"'),
        Target(
            "GET /api/me/ (OAuth token)",
            "GET",
            "/api/me/",
            {"Authorization": f"Bearer {access_token}"},
            expect="bench-user",
        ),
        Target(
            "GET /api/me/ (API key)",
            "GET",
            "/api/me/",
            {"Authorization": f"Bearer {api_key}"},
            expect="bench-user",
        ),
        Target(
            "POST /o/token/ (client creds)",
            "POST",
            "/o/token/",
            {**form, "Authorization": basic(machine)},
            urlencode({"grant_type": "client_credentials", "scope": "read"}),
            expect="access_token",
        ),
        Target(
            "POST /o/introspect/",
            "POST",
            "/o/introspect/",
            {**form, "Authorization": basic(resource_server)},
            urlencode({"token": access_token}),
            expect='"active": true',
        ),
        Target("GET /connected-apps/", "GET", "/connected-apps/", {"Cookie": session}, expect=app.name),
        Target(
            "GET /o/authorize/ (consent)",
            "GET",
            f"/o/authorize/?{authorize}",
            {"Cookie": session},
            expect=app.name,
        ),
    ]


def settle_cache() -> None:
    """Drop this run's cache entries, the seeding's invalidation tombstones among them.

    Seeding creates the apps, tokens and users it then loads, and each creation leaves a
    tombstone (apps.core.rowcache) that keeps the fresh row out of the cache for half a minute:
    without this, the first rounds would measure misses a running server never sees. Only keys
    under this run's own prefix (bench.settings) on Redis; a local-memory cache is this
    process's own (gunicorn's workers start with theirs empty), where the SQL counts are taken.
    """
    from django.conf import settings
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]  # the backend itself: `django.core.cache.cache` is a proxy
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    prefix = settings.CACHES["default"].get("KEY_PREFIX")
    if not prefix:
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def count_queries(targets: list[Target]) -> None:
    """SQL statements per request, each target's second request (the first may warm a cache)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for target in targets:
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = Client().generic(
                    target.method, target.path, target.body, headers=target.headers or None
                )
            body = response.content.decode()
            if response.status_code != 200 or target.expect not in body:
                raise SystemExit(f"{target.label}: {response.status_code} {body[:300]!r}")
        target.queries = [query["sql"] for query in captured.captured_queries]


def seed_expired(count: int, *, batch: int = 5000) -> None:
    """`count` expired access tokens, each with its refresh token, for the bench's first app.

    Fixtures for measurement, not issued tokens: bulk inserted, with the checksum and the
    blank `token` column DOT writes under its token-storage gate. They belong to one filler
    user per thousand, so the signed-in bench user's own pages list what they listed before.
    """
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model, set_token_value

    from apps.accounts.models import User
    from apps.oauth.models import Application

    AccessToken, RefreshToken = get_access_token_model(), get_refresh_token_model()
    application = Application.objects.get(name="Bench Photo Printer")
    users = User.objects.bulk_create(
        User(username=f"expired-{i}", email=f"expired-{i}@example.com", password="!")
        for i in range(max(1, min(count // 1000, 10_000)))
    )
    now = timezone.now()
    started, done = time.monotonic(), 0
    while done < count:
        size = min(batch, count - done)
        access_tokens = []
        for i in range(done, done + size):
            token = AccessToken(
                user=users[i % len(users)],
                application=application,
                expires=now - timedelta(days=1, seconds=i),
                scope="openid profile email read",
            )
            set_token_value(token, secrets.token_urlsafe(30))
            access_tokens.append(token)
        with transaction.atomic():
            AccessToken.objects.bulk_create(access_tokens)
            refresh_tokens = []
            for token in access_tokens:
                refresh = RefreshToken(
                    user_id=token.user_id,
                    application=application,
                    access_token=token,
                    token_family=uuid.uuid4(),
                )
                set_token_value(refresh, secrets.token_urlsafe(30))
                refresh_tokens.append(refresh)
            RefreshToken.objects.bulk_create(refresh_tokens)
        done += size
        print(
            f"\r  expired tokens: {done:,}/{count:,} ({time.monotonic() - started:.0f} s)", end="", flush=True
        )
    print()
    # `created` is auto_now_add, which bulk_create fills with now: date the fixtures back.
    filler = {"user__username__startswith": "expired-"}
    AccessToken.objects.filter(**filler).update(created=F("expires") - timedelta(hours=1))
    RefreshToken.objects.filter(**filler).update(
        created=now - timedelta(days=60), updated=now - timedelta(days=60)
    )
    # A table that grew a million rows a moment ago has no statistics yet: PostgreSQL would plan
    # for an empty table until autovacuum's ANALYZE comes by. Measure the settled database.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (User, AccessToken, RefreshToken):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
