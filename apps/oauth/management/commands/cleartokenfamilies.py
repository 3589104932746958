"""Delete TokenFamily records nothing can use any more. Schedule it next to DOT's `cleartokens`."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from apps.oauth.models import TokenFamily

# Codes and device codes live minutes; a day is well past any of them.
UNSPENT_GRACE = timedelta(days=1)


class Command(BaseCommand):
    help = "Delete token-family records of ended families and of codes that were never exchanged."

    def handle(self, *args, **options):
        now = timezone.now()
        # An access token minted just before a family ended outlives it by one token lifetime;
        # keep the record until then so a replay can still find and revoke it.
        ended = now - timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        deleted, _ = TokenFamily.objects.filter(
            Q(family__isnull=False, expires__lt=ended)
            | Q(family__isnull=True, created__lt=now - UNSPENT_GRACE)
        ).delete()
        family_days = settings.GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS // 86400
        self.stdout.write(f"Deleted {deleted} token-family records (families end after {family_days} days).")
