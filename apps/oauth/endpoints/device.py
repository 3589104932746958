"""The device authorization grant (RFC 8628): the device's request and the user's pages."""

import json
import secrets
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import (
    get_device_grant_model,
)
from oauth2_provider.settings import oauth2_settings

from apps.core.scopes import describe
from apps.oauth import services
from apps.oauth.endpoints.guards import (
    EndpointGuardMixin,
    OwnOAuthLibCoreMixin,
    basic_client_id,
    endpoint_url,
    oauth_error,
)
from apps.oauth.models import Application, Consent, TokenFamily
from apps.oauth.ratelimit import consume
from apps.oauth.validators import code_hash, session_auth_time

DeviceGrant = get_device_grant_model()

# RFC 8628 6.1: consonants only, so no words and no 0/O or 1/I confusion; 20^8 ≈ 2^34.6.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def generate_user_code() -> str:
    """An RFC 8628 user code, shown and typed as two groups of four: `BDFH-KLMN`."""
    code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(value: str) -> str:
    """What the user typed, as stored: case, spaces and dashes do not matter."""
    code = "".join(c for c in value.upper() if c in USER_CODE_ALPHABET)
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class DeviceAuthorizationView(EndpointGuardMixin, OwnOAuthLibCoreMixin, dot_views.DeviceAuthorizationView):
    """RFC 8628 section 3.1/3.2, for clients allowed the device grant."""

    rate_limit_bucket = "device_authorization"

    @classmethod
    def get_server(cls):
        kwargs = {**oauth2_settings.server_kwargs, "user_code_generator": generate_user_code}
        return cls.get_server_class()(cls.get_validator_class()(), **kwargs)

    def post(self, request, *args, **kwargs):
        basic_id = basic_client_id(request)
        scheme = request.META.get("HTTP_AUTHORIZATION", "").split()[:1]
        if (
            scheme
            and scheme[0].lower() == "basic"
            and (not basic_id or not Application.objects.filter(client_id=basic_id).exists())
        ):
            # A Basic header that does not decode, or names no client, is a failed
            # authentication (RFC 6749 5.2), as at the token endpoint.
            return oauth_error("invalid_client", "Client authentication failed.", status=401)
        if basic_id and "client_id" not in request.POST:
            # RFC 8628 3.1 needs client_id only from clients that do not authenticate; oauthlib
            # asks every client for it, so hand it the one from the Basic header.
            request.POST = request.POST.copy()
            request.POST["client_id"] = basic_id
        return super().post(request, *args, **kwargs)

    def create_device_authorization_response(self, request):
        """oauthlib's answer, adjusted before DOT's post() stores the grant: only a client allowed
        the device grant gets one, and the verification URIs are this issuer's (RFC 8628 3.2)."""
        headers, body, status = super().create_device_authorization_response(request)
        if status != 200:
            return headers, body, status
        # oauthlib has just authenticated or identified this client.
        application = Application.objects.filter(client_id=request.POST["client_id"]).first()
        if application is None or not application.allows_grant_type(Application.GRANT_DEVICE_CODE):
            error = {
                "error": "unauthorized_client",
                "error_description": "This client may not use the device authorization grant.",
            }
            return headers, json.dumps(error), 400
        # oauthlib echoes the scope it resolved, which RFC 8628 does not define and DOT's
        # DeviceCodeResponse does not take; DOT's post() resolves the same scope for the grant.
        body = {name: value for name, value in body.items() if name != "scope"}
        body["verification_uri"] = endpoint_url(request, "device")
        body["verification_uri_complete"] = (
            f"{body['verification_uri']}?{urlencode({'user_code': body['user_code']})}"
        )
        return headers, body, status


class UserCodeForm(forms.Form):
    user_code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("The code your device shows, like BDFH-KLMN."),
    )

    def clean_user_code(self) -> str:
        code = normalize_user_code(self.cleaned_data["user_code"])
        grant = (
            DeviceGrant.objects.filter(user_code=code, status=DeviceGrant.AUTHORIZATION_PENDING)
            .order_by("-pk")
            .first()
        )
        if grant is None:
            raise ValidationError("That code is not valid. Check the code on your device and try again.")
        if grant.is_expired():
            raise ValidationError("That code has expired. Start again on your device to get a new one.")
        self.cleaned_data["device_grant"] = grant
        return code


class DeviceUserCodeView(dot_views.DeviceUserCodeView):
    """Where the user types the code their device shows (RFC 8628 section 3.3)."""

    form_class = UserCodeForm
    attempts_per_minute = 10

    def get_initial(self):
        return {"user_code": normalize_user_code(self.request.GET.get("user_code", ""))}

    def post(self, request, *args, **kwargs):
        # A user code is short enough to guess in bulk; so is anyone's patience.
        retry_after = consume(f"device-code-entry:{request.user.pk}", limit=self.attempts_per_minute)
        if retry_after:
            context = self.get_context_data(
                form=self.get_form_class()(initial=self.get_initial()),
                throttled=f"Too many attempts. Try again in {retry_after} seconds.",
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return super().post(request, *args, **kwargs)


class DeviceConfirmView(dot_views.DeviceConfirmView):
    """Allow or deny a device; allowing records when this user really signed in."""

    def form_valid(self, form):
        device = self.get_object()
        if form.cleaned_data["action"] == "accept":
            user, application = self.request.user, Application.objects.get(client_id=device.client_id)
            TokenFamily.objects.update_or_create(
                code_hash=code_hash(device.device_code),
                defaults={
                    "application": application,
                    "user": user,
                    "auth_time": session_auth_time(self.request) or timezone.now(),
                },
            )
            # The app is now connected like any other: listed, and revocable, under Connected apps.
            # A device asks every time, so a decision remembered for the consent screen is kept as is.
            existing = Consent.objects.filter(user=user, application=application).first()
            services.record_consent(
                user=user,
                application=application,
                scopes=device.scope.split(),
                remember=existing.remember if existing else Consent.Remember.ONCE,
                request=self.request,
            )
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["scope_list"] = describe(context["scopes"])
        context["user_code"] = self.kwargs["user_code"]
        return context
