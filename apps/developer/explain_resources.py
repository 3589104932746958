"""The explainer's word on resource indicators (RFC 8707) and the app's access token format."""

from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from oauth2_provider.oauth2_validators import is_valid_resource_uri

from apps.oauth.models import Application


def check_resources(explanation, resources: list[str], application: Application, url: str) -> None:
    """Add what the authorization endpoint decides about `resource`, and what tokens will carry."""
    parts = urlsplit(url)
    own = [f"{parts.scheme}://{parts.netloc}/api/"] if parts.scheme and parts.netloc else []
    servers = set(
        Application.objects.filter(is_resource_server=True, suspended=False)
        .exclude(resource_uri="")
        .values_list("resource_uri", flat=True)
    )
    for resource in resources:
        if not is_valid_resource_uri(resource):
            explanation.add(
                _("Resource"),
                "fail",
                _("%(resource)s is not an absolute URI without a fragment.") % {"resource": resource},
                error="invalid_request",
            )
            return
        if resource not in servers and resource not in own:
            explanation.add(
                _("Resource"),
                "fail",
                _("%(resource)s is not Gatehouse's API nor a resource server registered here.")
                % {"resource": resource},
                error="invalid_target",
            )
            return
    jwt = application.access_token_format == Application.AccessTokenFormat.JWT
    if resources:
        detail = _("Tokens will be meant for %(resources)s only.") % {"resources": ", ".join(resources)}
        if jwt:
            detail += " " + _("Their JWT's aud claim names it.")
        explanation.add(_("Resource"), "pass", detail)
    elif jwt:
        explanation.add(
            _("Access token format"),
            "pass",
            _("Your app gets JWT access tokens (RFC 9068), with your client id as their aud."),
        )
