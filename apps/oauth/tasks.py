"""Background work of the authorization server (django-tasks, run by `manage.py db_worker`).

Imported only when a task is queued, never at start-up: a task binds to its backend when it is
defined, and tests choose theirs first.
"""

from django_tasks import task

from apps.oauth import backchannel


@task()
def deliver_logout(delivery_id: int) -> str:
    """One attempt at a back-channel logout delivery (apps.oauth.backchannel)."""
    return backchannel.attempt_delivery(delivery_id)
