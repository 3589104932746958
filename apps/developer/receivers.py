"""Usage bookkeeping for the developer console (no product decisions are made here)."""

from apps.developer.services import count_token_issued


def count_issued_token(sender, instance, created: bool, **kwargs) -> None:
    if created and instance.application_id is not None:
        count_token_issued(application_id=instance.application_id, when=instance.created)
