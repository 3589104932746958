"""How an app proves itself at the token endpoint, and its FAPI 2.0 switch, in the console.

The app form takes these fields from `ClientAuthFields`; the checks are apps.oauth's own
(client_jwks for keys, fapi for the profile), so the console and the endpoints tell one story.
Each change is an audit event of its own (`record_changes`), beside the form's APP_UPDATED.
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.oauth import client_jwks, fapi, supported
from apps.oauth.models import Application

SECRET, PRIVATE_KEY_JWT = "", supported.PRIVATE_KEY_JWT
# Plain words for each method the console offers; the RFC 7591 names are in the labels.
AUTH_METHODS = {
    SECRET: (
        _("Client secret"),
        _(
            "Your server sends a secret Gatehouse generated, in the Authorization header "
            "(client_secret_basic) or the request body (client_secret_post)."
        ),
    ),
    PRIVATE_KEY_JWT: (
        _("Private key (private_key_jwt)"),
        _(
            "Your server signs a short-lived JWT with its own private key on every request; Gatehouse "
            "checks it against the public keys you register here. No shared secret exists that could "
            "leak, and you rotate keys without asking us (RFC 7523)."
        ),
    ),
}
CLIENT_AUTH_FIELDS = ("token_endpoint_auth_method", "jwks", "jwks_uri", "fapi2")


class JwksField(forms.JSONField):
    """A JWK Set pasted as JSON; empty is no keys."""

    def prepare_value(self, value):
        if value in ({}, None, ""):
            return ""
        return json.dumps(value, indent=2) if isinstance(value, dict) else super().prepare_value(value)

    def to_python(self, value):
        if value in self.empty_values:
            return {}
        try:
            return super().to_python(value)
        except ValidationError as exc:
            raise ValidationError(_('This is not JSON: paste a JWK Set, {"keys": [...]}.')) from exc


class ClientAuthFields(forms.Form):
    """Fields and checks mixed into the app form (apps.developer.forms.ApplicationForm)."""

    token_endpoint_auth_method = forms.ChoiceField(
        label=_("How your server authenticates"),
        choices=[(value, label) for value, (label, _about) in AUTH_METHODS.items()],
        required=False,
        widget=forms.RadioSelect,
    )
    jwks = JwksField(
        label=_("Public keys (JWK Set)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            'Paste your public keys as a JWK Set, {"keys": [...]}: RSA (2048 bits or more) or EC P-256, '
            "each with its own kid. Never paste a private key."
        ),
    )
    jwks_uri = forms.URLField(
        label=_("Or the address of your JWK Set (jwks_uri)"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=_(
            "Gatehouse fetches your keys from here and again when you sign with a new kid, so you can "
            "rotate keys by publishing them. https only (http://127.0.0.1 for development)."
        ),
    )
    fapi2 = forms.BooleanField(
        label=_("FAPI 2.0 Security Profile"),
        required=False,
        help_text=_(
            "For banking, health and government APIs. Turns on every rule below for this app; "
            "apps that don't follow them stop working."
        ),
    )

    @property
    def auth_method_options(self) -> list:
        return [(radio, AUTH_METHODS[radio.data["value"]][1]) for radio in self["token_endpoint_auth_method"]]

    @property
    def fapi_rules(self):
        return fapi.RULES

    @property
    def shows_client_auth(self) -> bool:
        """Only confidential clients authenticate (a public one has nothing to prove with)."""
        return self["client_type"].value() != Application.CLIENT_PUBLIC

    def clean_jwks(self) -> dict:
        value = self.cleaned_data.get("jwks") or {}
        if not value:
            return {}
        try:
            keys = client_jwks.parse_jwks(value)
        except client_jwks.JwksError as exc:
            raise ValidationError(str(exc)) from exc
        return {"keys": keys}

    def clean_jwks_uri(self) -> str:
        uri = self.cleaned_data.get("jwks_uri") or ""
        if uri:
            try:
                client_jwks.check_jwks_uri(uri)
            except client_jwks.JwksError as exc:
                raise ValidationError(str(exc)) from exc
        return uri

    def clean_client_auth(self, cleaned: dict) -> None:
        """The form's clean() calls this: keys where the method needs them, the profile's rules."""
        if cleaned.get("client_type") == Application.CLIENT_PUBLIC:
            cleaned.update(token_endpoint_auth_method="", jwks={}, jwks_uri="")
        method = cleaned.get("token_endpoint_auth_method") or ""
        if method == PRIVATE_KEY_JWT and "jwks" in cleaned and "jwks_uri" in cleaned:
            if cleaned["jwks"] and cleaned["jwks_uri"]:
                self.add_error(
                    "jwks_uri", _("Register your keys one way: paste them, or give their address.")
                )
            elif not (cleaned["jwks"] or cleaned["jwks_uri"]):
                self.add_error(
                    "jwks", _("Paste your public keys, or give the address where you publish them.")
                )
        if cleaned.get("fapi2"):
            problems = fapi.registration_problems(
                client_type=cleaned.get("client_type") or "",
                auth_method=method,
                redirect_uris=(cleaned.get("redirect_uris") or "").split(),
            )
            for name, message in problems.items():
                self.add_error(name if name in self.fields else "fapi2", message)


def describe(app: Application) -> dict:
    """What the app page's client-authentication card shows."""
    method = app.client_auth_method
    return {
        "method": method,
        "method_label": AUTH_METHODS.get(method, AUTH_METHODS[SECRET])[0] if method != "none" else "",
        "key_ids": [key.get("kid") for key in client_jwks.registered_keys(app)],
        "jwks_uri": app.jwks_uri,
        "fapi2": app.fapi2,
        "fapi_rules": fapi.RULES,
    }


def record_changes(*, request, application: Application, changed: list[str]) -> None:
    """An audit event for a change to how the app authenticates or to its FAPI switch."""
    fields = [name for name in CLIENT_AUTH_FIELDS if name in changed]
    if not fields:
        return
    record(
        AuditEvent.Kind.APP_UPDATED,
        user=request.user,
        request=request,
        application=application.name,
        client_id=application.client_id,
        change="client_authentication",
        fields=fields,
        token_endpoint_auth_method=application.client_auth_method,
        key_ids=[key.get("kid") for key in client_jwks.registered_keys(application)],
        jwks_uri=application.jwks_uri,
        fapi2=application.fapi2,
    )
