from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from social_django.models import UserSocialAuth

from apps.core.http import HtmxHttpRequest
from apps.social import services
from apps.social.pipeline import CONFIRMATION_SENT_TO
from apps.social.providers import enabled_providers, provider_title


@login_required
@require_GET
def sign_in_methods(request: HtmxHttpRequest) -> HttpResponse:
    identities = services.list_identities(user=request.user)
    linked = {identity.provider for identity in identities}
    context = {
        "identities": identities,
        "connectable": [p for p in enabled_providers() if p.name not in linked],
        "has_password": request.user.has_usable_password(),
    }
    return render(request, "social/sign_in_methods.html", context)


@login_required
@require_POST
def disconnect(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    identity = get_object_or_404(UserSocialAuth, pk=pk, user=request.user)
    try:
        services.disconnect_identity(user=request.user, identity=identity, request=request)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("%(provider)s is disconnected.") % {"provider": provider_title(identity.provider)}
        )
    return redirect("identities:sign-in-methods")


@require_GET
def confirm_email(request: HtmxHttpRequest) -> HttpResponse:
    """The page a new social sign-in waits on while its email address is being confirmed."""
    sent = request.session.get(CONFIRMATION_SENT_TO)
    if not sent:
        return redirect("account_login")
    context = {"email": sent["email"], "provider": provider_title(sent["provider"])}
    return render(request, "social/confirm_email.html", context)
