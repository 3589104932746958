"""Gatehouse settings: wiring only, every deploy-time value from the environment.

With an empty environment the portal runs on SQLite in ./var, a local-memory cache and
console email. Variables are documented in README.md ("Configuration").
"""

from pathlib import Path

from portal.env import (
    env_bool,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
    env_url,
    oidc_signing_key,
    rsa_private_keys,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GATEHOUSE_VAR_DIR", str(BASE_DIR / "var")))

# --- Core --------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/

DEBUG = env_bool("GATEHOUSE_DEBUG", False)
# The fallback is deliberately prefixed so `check --deploy` flags it (security.W009).
SECRET_KEY = env_secret("GATEHOUSE_SECRET_KEY", "django-insecure-gatehouse-development-only-key-0123456789")
# Old keys still accepted while sessions, signed links and hashed secrets move to the new one.
SECRET_KEY_FALLBACKS = [key for key in env_secret("GATEHOUSE_SECRET_KEY_FALLBACKS").split(",") if key.strip()]
ALLOWED_HOSTS = env_list("GATEHOUSE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("GATEHOUSE_CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("GATEHOUSE_SITE_NAME", "Gatehouse")
GATEHOUSE_MAX_APPS_PER_USER = env_int("GATEHOUSE_MAX_APPS_PER_USER", 100, minimum=1)
# One proxy (TLS terminator, load balancer) in front, whose forwarded headers are trusted.
GATEHOUSE_BEHIND_PROXY = env_bool("GATEHOUSE_BEHIND_PROXY", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "oauth2_provider",
    "social_django",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.oauth",
    "apps.social",
    "apps.developer",
    "apps.apikeys",
    "apps.api",
    "apps.staff",
]

# `portal.middleware` wraps what only people's requests need: the API and the OAuth
# protocol endpoints (apps.core.middleware.MACHINE_PATHS) skip it.
MIDDLEWARE = [
    # Operations, first so it sees every answer: request id, counts, latency, access line
    # (apps/core/telemetry.py). Cheap and session-free: the machine paths pass through it too.
    "apps.core.telemetry.RequestTelemetryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.UnreadableBodyMiddleware",
    "apps.core.middleware.NulCharacterMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.middleware.CsrfViewMiddleware",
    "portal.middleware.AuthenticationMiddleware",
    # The page's language: ui_locales, the saved choice, then the browser's (apps/accounts/languages.py).
    # After sessions and authentication; no URL carries a language, so CommonMiddleware needn't wait.
    "apps.accounts.middleware.LanguageMiddleware",
    "portal.middleware.PrivatePagesMiddleware",
    "apps.core.middleware.UnreadableRequestMiddleware",
    "portal.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.UserSessionsMiddleware",
    # Emails the user after a sign-in from a browser it has not seen (apps/accounts/services.py).
    "portal.middleware.NewDeviceMiddleware",
    "portal.middleware.HtmxMiddleware",
    "portal.middleware.SocialAuthErrorMiddleware",
]

# Django finds CsrfViewMiddleware by its dotted path only; apps.core.checks checks the wrapped one.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.accounts.context_processors.settings_navigation",
            ],
            # Django 6 has partials built in; moving to it is deleting this line.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Data --------------------------------------------------------------------------------

VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database, media, outbox and key live here
if database := env_database("DATABASE_URL", conn_max_age=60, conn_health_checks=True):
    DATABASES = {"default": database}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "gatehouse.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "apps.core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gatehouse"}
    }

# With Redis, sessions are read from the cache and written through to the database (which stays
# the record: a flushed cache signs nobody out); a page then costs no session query. Our cached_db
# is Django's, with cache entries named by a hash of the session key (apps/accounts/session_store.py).
SESSION_ENGINE = {
    "db": "django.contrib.sessions.backends.db",
    "cached_db": "apps.accounts.session_store",
    "cache": "django.contrib.sessions.backends.cache",
}[env_choice("GATEHOUSE_SESSION_ENGINE", "cached_db" if REDIS_URL else "db", ("db", "cached_db", "cache"))]

# --- Accounts and passwords --------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Client secrets and API keys are 256-bit random: a keyed SHA-256 is as strong as PBKDF2
    # for them and keeps the token endpoint fast. Never used for user passwords (not first).
    "apps.core.hashers.SecretHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

# --- django-allauth ----------------------------------------------------------------------
# https://docs.allauth.org/en/latest/account/configuration.html

ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "apps.accounts.adapters.user_display"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Sign-up says plainly that an address is taken (as GitHub and Google do); sign-up and
# password reset are rate limited per address below, which bounds enumeration.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Security notices by email: password, email and MFA changes (allauth's), new-device sign-ins (ours).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth's defaults, stated so operators see them: login failures per IP and per account,
# sign-ups and password resets per IP. They count in the cache, so Redis shares them.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_FORMS = {"login_webauthn": "apps.accounts.forms.PasskeyLoginForm"}
MFA_TRUST_ENABLED = True
MFA_TOTP_ISSUER = SITE_NAME
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Off: allauth would UPDATE the session's row on every signed-in request. Last seen, address
# and user agent are kept at most once a minute (apps.accounts.services.note_session_activity).
USERSESSIONS_TRACK_ACTIVITY = False
USERSESSIONS_ADAPTER = "apps.accounts.adapters.UserSessionsAdapter"

# --- django-oauth-toolkit ----------------------------------------------------------------
# https://django-oauth-toolkit.readthedocs.io/en/latest/settings.html

OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
# Codes are kept as hashes (apps.oauth.models.DigestField), like DOT's access and refresh tokens.
OAUTH2_PROVIDER_GRANT_MODEL = "oauth.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "oauth.DeviceGrant"

# Resource-server mode, JWT access tokens checked here against the issuer's JWKS, no
# introspection (apps.oauth.resource_server): this service's RFC 8707 resource identifier, the
# `aud` it accepts. The issuer defaults to the introspection URL without its /introspect/.
GATEHOUSE_RESOURCE_SERVER_AUDIENCE = env_url("GATEHOUSE_RESOURCE_SERVER_AUDIENCE", schemes=("http", "https"))
GATEHOUSE_RESOURCE_SERVER_ISSUER = env_url(
    "GATEHOUSE_RESOURCE_SERVER_ISSUER", schemes=("http", "https"), bare=True
).rstrip("/")

GATEHOUSE_OIDC_KEY_FROM_ENVIRONMENT = bool(env_secret("GATEHOUSE_OIDC_RSA_PRIVATE_KEY"))
GATEHOUSE_ISSUER = env_url("GATEHOUSE_ISSUER", schemes=("http", "https"), bare=True).rstrip("/")

OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "apps.oauth.validators.GatehouseValidator",
    "SCOPES_BACKEND_CLASS": "apps.oauth.scopes.CatalogueScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("GATEHOUSE_ACCESS_TOKEN_SECONDS", 3600, minimum=60),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("GATEHOUSE_REFRESH_TOKEN_SECONDS", 86400, minimum=60),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": env_int("GATEHOUSE_AUTHORIZATION_CODE_SECONDS", 600, minimum=10),
    "ID_TOKEN_EXPIRE_SECONDS": env_int("GATEHOUSE_ACCESS_TOKEN_SECONDS", 3600, minimum=60),
    "ROTATE_REFRESH_TOKEN": True,
    # Opaque or RFC 9068 JWT access tokens, as each app chose; refresh tokens always opaque.
    "ACCESS_TOKEN_GENERATOR": "apps.oauth.jwt_tokens.generate_access_token",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "PKCE_REQUIRED": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOWED_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "CLIENT_SECRET_HASHER": "gatehouse_sha256",
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": GATEHOUSE_ISSUER,
    "OIDC_RSA_PRIVATE_KEY": oidc_signing_key(VAR_DIR / "keys" / "oidc.pem"),
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": rsa_private_keys("GATEHOUSE_OIDC_RSA_PRIVATE_KEYS_INACTIVE"),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # Signing out through an app revokes that app's tokens only (apps.oauth.endpoints).
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    # Hands the validator what only the browser session knows (auth_time).
    "OAUTH2_BACKEND_CLASS": "apps.oauth.validators.GatehouseOAuthLibCore",
    # The validator checks device codes itself, client first (DOT's hook looks the code up unchecked).
    "OAUTH_PRE_TOKEN_VALIDATION": [],
    # RFC 8414 metadata; the discovery views narrow the rest (apps.oauth.endpoints).
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ],
    # oauthlib's OpenID Connect server plus the RFC 8693 grant (apps.oauth.token_exchange).
    # Other server features subclass GatehouseServer rather than replace this line.
    "OAUTH2_SERVER_CLASS": "apps.oauth.token_exchange.GatehouseServer",
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ],
    # RFC 9700 gates: every one enforced, and the config gates turn deploy warnings into errors.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Resource-server mode: validate tokens at another Gatehouse's /o/introspect/ (as a client
    # with is_resource_server), caching each answer at most 60 s so revocations reach us soon.
    "RESOURCE_SERVER_INTROSPECTION_URL": env_url(
        "GATEHOUSE_RESOURCE_SERVER_INTROSPECTION_URL", schemes=("http", "https")
    )
    or None,
    "RESOURCE_SERVER_INTROSPECTION_CREDENTIALS": (
        env_str("GATEHOUSE_RESOURCE_SERVER_CLIENT_ID"),
        env_secret("GATEHOUSE_RESOURCE_SERVER_CLIENT_SECRET"),
    )
    if env_str("GATEHOUSE_RESOURCE_SERVER_CLIENT_ID")
    else None,
    # At most 60: checked at start-up (apps/api/apps.py).
    "RESOURCE_SERVER_TOKEN_CACHING_SECONDS": env_int(
        "GATEHOUSE_RESOURCE_SERVER_CACHE_SECONDS", 60, minimum=1
    ),
    # `cleartokens` (and `cleartokenfamilies`) delete this many rows per statement, each batch
    # its own short transaction, pausing between batches so token requests are never kept
    # waiting behind a sweep of a million expired rows.
    "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": env_int("GATEHOUSE_CLEAR_TOKENS_BATCH_SIZE", 10_000, minimum=1),
    "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": env_int("GATEHOUSE_CLEAR_TOKENS_BATCH_INTERVAL_MS", 100) / 1000,
}
# A refresh-token family (everything from one sign-in) ends this long after it began, however
# often its refresh token rotates (default 30 days).
GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS = env_int(
    "GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS", 30 * 86400, minimum=60
)
# DPoP (RFC 9449, apps.oauth.dpop): how far a proof's iat may stray from now, how long a nonce
# we issued stays good, and whether every client (not only apps that require DPoP) needs one.
GATEHOUSE_DPOP_PROOF_SECONDS = env_int("GATEHOUSE_DPOP_PROOF_SECONDS", 60, minimum=5)
GATEHOUSE_DPOP_NONCE_SECONDS = env_int("GATEHOUSE_DPOP_NONCE_SECONDS", 300, minimum=10)
GATEHOUSE_DPOP_NONCES = env_bool("GATEHOUSE_DPOP_NONCES", False)
# Requests per minute to each of the token, PAR, device-authorization, introspection and
# revocation endpoints, per client and per client address; counted in the cache.
GATEHOUSE_OAUTH_RATE_PER_CLIENT = env_int("GATEHOUSE_OAUTH_RATE_PER_CLIENT", 600, minimum=1)
GATEHOUSE_OAUTH_RATE_PER_ADDRESS = env_int("GATEHOUSE_OAUTH_RATE_PER_ADDRESS", 600, minimum=1)
# Who checks a subject token with a `subject_issuer` at the RFC 8693 token exchange: the
# social providers (apps.oauth.token_exchange never imports apps.social itself).
GATEHOUSE_TOKEN_EXCHANGE_EXTERNAL_SUBJECTS = "apps.social.native.ProviderSubjects"

# --- social-auth-app-django --------------------------------------------------------------
# https://python-social-auth.readthedocs.io/en/latest/configuration/django.html

SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_REQUIRE_POST = True
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/dashboard/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/accounts/login/"
SOCIAL_AUTH_NEW_ASSOCIATION_REDIRECT_URL = "/settings/sign-in-methods/"
# Failures become a message and a way back (apps.social.middleware), with DEBUG on too.
SOCIAL_AUTH_RAISE_EXCEPTIONS = False
# New accounts take their names from the provider once; later sign-ins never overwrite them.
SOCIAL_AUTH_USER_FIELDS = ["username", "email", "first_name", "last_name"]
SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = env_str("GATEHOUSE_GOOGLE_CLIENT_ID")
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = env_secret("GATEHOUSE_GOOGLE_CLIENT_SECRET")
SOCIAL_AUTH_GOOGLE_OAUTH2_SCOPE = ["email", "profile"]
SOCIAL_AUTH_GOOGLE_OAUTH2_IGNORE_DEFAULT_SCOPE = True
# Google client IDs of the native apps whose Google tokens /api/auth/social/ accepts (besides the web one).
SOCIAL_AUTH_GOOGLE_OAUTH2_NATIVE_CLIENT_IDS = env_list("GATEHOUSE_GOOGLE_NATIVE_CLIENT_IDS", [])
SOCIAL_AUTH_GITHUB_KEY = env_str("GATEHOUSE_GITHUB_CLIENT_ID")
SOCIAL_AUTH_GITHUB_SECRET = env_secret("GATEHOUSE_GITHUB_CLIENT_SECRET")
SOCIAL_AUTH_GITHUB_SCOPE = ["user:email"]
SOCIAL_AUTH_FACEBOOK_KEY = env_str("GATEHOUSE_FACEBOOK_CLIENT_ID")
SOCIAL_AUTH_FACEBOOK_SECRET = env_secret("GATEHOUSE_FACEBOOK_CLIENT_SECRET")
SOCIAL_AUTH_FACEBOOK_SCOPE = ["email"]
SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS = {"fields": "id,name,email,first_name,last_name,picture"}
SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = env_url("GATEHOUSE_OIDC_ISSUER_URL", schemes=("http", "https")).rstrip("/")
SOCIAL_AUTH_OIDC_KEY = env_str("GATEHOUSE_OIDC_CLIENT_ID")
SOCIAL_AUTH_OIDC_SECRET = env_secret("GATEHOUSE_OIDC_CLIENT_SECRET")
SOCIAL_AUTH_OIDC_TITLE = env_str("GATEHOUSE_OIDC_NAME", "OpenID Connect")
SOCIAL_AUTH_OIDC_USE_PKCE = True
# A provider is offered only when its keys are set (the issuer URL too, for OpenID Connect).
AUTHENTICATION_BACKENDS += [
    backend
    for backend, *required in [
        (
            "social_core.backends.google.GoogleOAuth2",
            SOCIAL_AUTH_GOOGLE_OAUTH2_KEY,
            SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET,
        ),
        ("social_core.backends.github.GithubOAuth2", SOCIAL_AUTH_GITHUB_KEY, SOCIAL_AUTH_GITHUB_SECRET),
        (
            "social_core.backends.facebook.FacebookOAuth2",
            SOCIAL_AUTH_FACEBOOK_KEY,
            SOCIAL_AUTH_FACEBOOK_SECRET,
        ),
        (
            "social_core.backends.open_id_connect.OpenIdConnectAuth",
            SOCIAL_AUTH_OIDC_OIDC_ENDPOINT,
            SOCIAL_AUTH_OIDC_KEY,
            SOCIAL_AUTH_OIDC_SECRET,
        ),
    ]
    if all(required)
]
# social-core's load_extra_data and user_details are left out on purpose: provider tokens are
# not stored, and a provider never overwrites an account. allauth signs the user in (last step).
SOCIAL_AUTH_PIPELINE = [
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "apps.social.pipeline.match_verified_email",
    "apps.social.pipeline.username_from_email",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "apps.social.pipeline.set_up_new_user",
    "social_core.pipeline.social_auth.associate_user",
    "apps.social.pipeline.remember_account",
    "apps.social.pipeline.record_link",
    "apps.social.pipeline.sign_in_through_allauth",
]
SOCIAL_AUTH_DISCONNECT_PIPELINE = [
    "social_core.pipeline.disconnect.allowed_to_disconnect",
    "social_core.pipeline.disconnect.get_entries",
    "apps.social.pipeline.record_unlink",
    "social_core.pipeline.disconnect.disconnect",
]

# --- Django REST framework ---------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/

REST_FRAMEWORK = {
    # Personal API keys (`Bearer gatehouse_…`) first, then OAuth access tokens through DOT.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.CountedAPIKeyAuthentication",
        "apps.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.exceptions.api_exception_handler",
    # Per token or API key ("token"), per client address otherwise ("anon"); counted in the cache.
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.CredentialRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("GATEHOUSE_API_RATE", "100/hour"),
        "anon": env_str("GATEHOUSE_API_ANON_RATE", "60/hour"),
    },
    # The client address is REMOTE_ADDR, or the proxy's X-Forwarded-For entry behind one proxy;
    # never a header the client could set to get a fresh rate-limit bucket.
    "NUM_PROXIES": 1 if GATEHOUSE_BEHIND_PROXY else 0,
}
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Your account, profile, tokens and connected apps. Authenticate with an OAuth 2 "
    "access token or a personal API key: `Authorization: Bearer <credential>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "OAUTH2_FLOWS": ["authorizationCode", "clientCredentials"],
    "OAUTH2_AUTHORIZATION_URL": "/o/authorize/",
    "OAUTH2_TOKEN_URL": "/o/token/",
    "OAUTH2_REFRESH_URL": "/o/token/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Background tasks -------------------------------------------------------------------
# https://django-tasks.readthedocs.io/ (the backport of Django 6's tasks) and django-tasks-db:
# emails and domain checks wait in the database for `manage.py db_worker` (README, "Production").

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- App verification --------------------------------------------------------------------

# The domain check fetches https://<domain>/.well-known/... on the developer's say-so, so it never
# reaches private, loopback or link-local addresses, nor plain http, unless this is on: for
# development and tests only, where the proof server is on this machine.
GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = env_bool("GATEHOUSE_VERIFICATION_ALLOW_PRIVATE", False)

# --- Static and media files --------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
SERVE_MEDIA = env_bool("GATEHOUSE_SERVE_MEDIA", True)
STORAGES = {
    # Avatars and logos go through this backend only: an object store (e.g. django-storages'
    # "storages.backends.s3.S3Storage", configured by its own settings) can replace it.
    "default": {"BACKEND": env_str("GATEHOUSE_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------

EMAIL_MODE = env_choice("GATEHOUSE_EMAIL", "console", ("console", "file", "smtp"))
# Every email is queued (apps.core.mail) and a task worker sends it through this backend.
GATEHOUSE_EMAIL_DELIVERY_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}[EMAIL_MODE]
EMAIL_BACKEND = "apps.core.mail.QueuedEmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "outbox"
EMAIL_HOST = env_str("GATEHOUSE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("GATEHOUSE_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("GATEHOUSE_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_secret("GATEHOUSE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("GATEHOUSE_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10  # seconds: a hung SMTP server must not hold a sign-up request forever
DEFAULT_FROM_EMAIL = env_str("GATEHOUSE_FROM_EMAIL", "Gatehouse <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security headers --------------------------------------------------------------------
# Production (DEBUG off) gets secure cookies, HSTS and an HTTPS redirect unless told otherwise.

SECURE_COOKIES = env_bool("GATEHOUSE_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("GATEHOUSE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("GATEHOUSE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("GATEHOUSE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if GATEHOUSE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # One proxy in front: the last X-Forwarded-For entry is the client. allauth's rate limits
    # and sessions, the audit trail and the OAuth endpoints' limits all read it this way.
    ALLAUTH_TRUSTED_PROXY_COUNT = 1

# --- Metrics ------------------------------------------------------------------------------
# https://prometheus.github.io/client_python/ : /metrics is off (404) until one of these is set;
# with both set a scraper needs both. Several gunicorn workers: see README ("Metrics").

GATEHOUSE_METRICS_TOKEN = env_secret("GATEHOUSE_METRICS_TOKEN")
GATEHOUSE_METRICS_ALLOW = env_networks("GATEHOUSE_METRICS_ALLOW")

# --- Internationalisation and logging ----------------------------------------------------

LANGUAGE_CODE = "en"
# Each name in its own language, as the footer switcher shows it. Adding one: README, "Languages".
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
# The footer switcher's choice, for people who are not signed in (a signed-in person's is saved
# on the profile too).
LANGUAGE_COOKIE_NAME = "gatehouse_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Named date formats (DATE_FORMAT, ...) in English as the pages always wrote them; the other
# languages use Django's own.
FORMAT_MODULE_PATH = ["apps.core.formats"]
# Our catalogues come before the libraries': locale/en puts allauth's English in the house style.
# The compiled .mo files are committed, so a fresh clone serves them (`make messages` rebuilds them).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Text is the plain message (with the request id); json is one object a line with the request's
# id, user, client, path, status and duration, and an access line per request (apps/core/logs.py).
# Either way, secrets, codes, tokens and email addresses are masked.
LOG_FORMAT = env_choice("GATEHOUSE_LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "apps.core.logs.RequestContextFilter"},
        "redact": {"()": "apps.core.logs.RedactingFilter"},
    },
    "formatters": {
        "text": {"()": "apps.core.logs.TextFormatter"},
        "json": {"()": "apps.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact"],
        }
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("GATEHOUSE_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
    },
    "loggers": {
        # DOT logs request bodies at DEBUG; keep secrets and tokens out of the logs.
        "oauth2_provider": {"level": "INFO"},
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        # runserver and gunicorn print their own access lines in text; JSON has ours instead.
        "gatehouse.access": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}
