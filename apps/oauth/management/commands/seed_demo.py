"""Create (or refresh) the demo user and demo OAuth client. Safe to run any number of times."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Profile, User
from apps.oauth.models import Application
from apps.oauth.secrets import check_client_secret, create_client_secret

DEMO_EMAIL = "demo@gatehouse.test"
DEMO_PASSWORD = "gatehouse-demo-password"
DEMO_CLIENT_ID = "gatehouse-demo-client"
# A documented development value, printed on every `make run`; the database keeps only its hash.
DEMO_CLIENT_SECRET = "gatehouse-demo-secret-for-local-development-only"
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_SCOPES = ["openid", "profile", "email", "read", "read_profile", "write_profile"]


class Command(BaseCommand):
    help = "Create the demo user and the demo OAuth client (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        user, _ = User.objects.get_or_create(username="demo", defaults={"email": DEMO_EMAIL})
        user.email = DEMO_EMAIL
        user.first_name, user.last_name = "Demo", "User"
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)  # a new hash would sign the demo user out on every start
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        profile = Profile.objects.for_user(user)
        profile.display_name = profile.display_name or "Demo User"
        profile.save()

        app, _ = Application.objects.get_or_create(
            client_id=DEMO_CLIENT_ID,
            defaults={
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            },
        )
        app.user = user
        app.name = "Gatehouse Demo App"
        app.description = "A sample client for trying the authorization-code flow locally."
        app.redirect_uris = DEMO_REDIRECT_URI
        app.post_logout_redirect_uris = "http://127.0.0.1:8765/"
        app.client_type = Application.CLIENT_CONFIDENTIAL
        app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        app.grant_types = [Application.GRANT_AUTHORIZATION_CODE]
        app.algorithm = Application.RS256_ALGORITHM
        app.allowed_scopes = DEMO_SCOPES
        # Secrets live in ClientSecret rows (apps.oauth.secrets); DOT's own field stays empty.
        app.client_secret = ""
        app.hash_client_secret = False
        app.save()
        if not check_client_secret(application=app, value=DEMO_CLIENT_SECRET):
            app.secrets.all().delete()
            create_client_secret(application=app, value=DEMO_CLIENT_SECRET)

        base = f"http://127.0.0.1:{options.get('port') or 8000}"
        self.stdout.write(
            self.style.SUCCESS("Demo data ready.")
            + f"""
  Sign in at      {base}/accounts/login/
    email         {DEMO_EMAIL}
    password      {DEMO_PASSWORD}
  Demo OAuth client (confidential, authorization code + PKCE)
    client_id     {DEMO_CLIENT_ID}
    client_secret {DEMO_CLIENT_SECRET}
    redirect_uri  {DEMO_REDIRECT_URI}
    discovery     {base}/o/.well-known/openid-configuration
"""
        )
        if not settings.DEBUG:
            self.stdout.write("  (these are development values: never run seed_demo in production)")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port printed in the sign-in URL.")
