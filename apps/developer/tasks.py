"""Background work of the developer console (django-tasks, run by `manage.py db_worker`).

Arguments are JSON: ids and strings, never model instances. Each task reloads what it needs
and does nothing when the app is gone.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django_tasks import task

from apps.oauth.models import Application

log = logging.getLogger(__name__)

EMAIL_SUBJECTS = {
    "domain_proven": gettext_lazy("{app} is waiting for review"),
    "check_failed": gettext_lazy("We could not confirm the domain of {app}"),
    "approved": gettext_lazy("{app} is verified"),
    "rejected": gettext_lazy("{app} was not verified"),
    "lost": gettext_lazy("{app} is no longer verified"),
}


@task()
def check_domain(application_id: int, site_url: str) -> bool:
    """Look for the developer's domain proof (DNS TXT or /.well-known/ file); see verification."""
    from apps.developer import verification

    application = Application.objects.select_related("user").filter(pk=application_id).first()
    if application is None:
        return False
    return verification.check_domain(application=application, site_url=site_url)


@task()
def email_developer(application_id: int, event: str, site_url: str, note: str) -> bool:
    """Tell the app's owner what happened to its verification (one of EMAIL_SUBJECTS)."""
    application = Application.objects.select_related("user").filter(pk=application_id).first()
    if application is None or application.user is None or not application.user.email:
        return False
    context = {
        "site_name": settings.SITE_NAME,
        "user": application.user,
        "application": application,
        "event": event,
        "note": note,
        "app_url": site_url.rstrip("/") + reverse("developer:app-detail", args=[application.pk]),
    }
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + EMAIL_SUBJECTS[event].format(app=application.name)
    body = render_to_string("developer/email/verification_message.txt", context)
    send_mail(subject, body, None, [application.user.email])
    return True
