"""Delete TokenFamily records nothing can use any more. Schedule it next to DOT's `cleartokens`."""

import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q, QuerySet
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from apps.oauth import backchannel, pushed
from apps.oauth.models import BackchannelDelivery, PushedAuthorizationRequest, TokenFamily

# Codes and device codes live minutes; a day is well past any of them.
UNSPENT_GRACE = timedelta(days=1)


def delete_in_batches(queryset: QuerySet) -> int:
    """Delete `queryset` the way DOT's `cleartokens` does: at most CLEAR_EXPIRED_TOKENS_BATCH_SIZE
    rows per statement, each its own short transaction, with CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL
    seconds between them, so no sweep holds locks on the table for long."""
    size = oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_SIZE
    deleted = 0
    while batch := list(queryset.values_list("pk", flat=True)[:size]):
        count, _ = queryset.model.objects.filter(pk__in=batch).delete()
        deleted += count
        if len(batch) < size:
            break
        time.sleep(oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL)
    return deleted


class Command(BaseCommand):
    help = (
        "Delete token-family records of ended families and of codes that were never exchanged, "
        "pushed authorization requests long expired, and old back-channel logout deliveries."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        # An access token minted just before a family ended outlives it by one token lifetime;
        # keep the record until then so a replay can still find and revoke it.
        ended = now - timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        # Two queries, not one OR, so each walks its own index (TokenFamily.Meta.indexes).
        deleted = delete_in_batches(TokenFamily.objects.filter(family__isnull=False, expires__lt=ended))
        deleted += delete_in_batches(
            TokenFamily.objects.filter(family__isnull=True, created__lt=now - UNSPENT_GRACE)
        )
        family_days = settings.GATEHOUSE_REFRESH_TOKEN_FAMILY_SECONDS // 86400
        self.stdout.write(f"Deleted {deleted} token-family records (families end after {family_days} days).")
        # Each push clears its own app's; this catches apps that stopped pushing.
        kept_until = now - timedelta(seconds=pushed.KEPT_SECONDS)
        deleted = delete_in_batches(PushedAuthorizationRequest.objects.filter(expires__lt=kept_until))
        self.stdout.write(f"Deleted {deleted} pushed authorization requests.")
        # Back-channel logout deliveries: the console shows the recent ones; finished ones go.
        old = now - timedelta(days=backchannel.KEPT_DAYS)
        finished = BackchannelDelivery.objects.filter(created__lt=old).filter(
            Q(delivered_at__isnull=False) | Q(gave_up_at__isnull=False)
        )
        deleted = delete_in_batches(finished)
        self.stdout.write(f"Deleted {deleted} back-channel logout deliveries.")
