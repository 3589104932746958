"""Background work shared by every app (django-tasks, run by `manage.py db_worker`).

Imported only when a task is queued: a task binds to its backend when it is defined.
"""

from django_tasks import task

from apps.core import mail


@task()
def send_email(sealed: str, attempt: int = 1) -> str:
    """Send one queued email (apps.core.mail), retrying with backoff."""
    return mail.deliver(sealed, attempt)
