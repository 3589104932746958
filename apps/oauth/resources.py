"""Which resources (RFC 8707 resource indicators) a client may ask tokens for.

DOT takes `resource` at the authorization and token endpoints, remembers it with the code and
the tokens (their `resource`, introspection's `aud`) and refuses a token request that asks for
more than the code or refresh token carries. It would accept any absolute URI, though; Gatehouse
issues tokens only for resources it knows:

- its own API, `<issuer's origin>/api/`, and
- the `resource_uri` of each app that staff marked "resource server" (and did not suspend).

A code, device code or refresh token that was authorized for no resource gives tokens for none:
asking for one at the token endpoint then is `invalid_target` too, since the person never saw it.
"""

from urllib.parse import urlsplit

from oauth2_provider.models import get_grant_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from apps.oauth.models import Application

Grant = get_grant_model()

NARROWING_GRANTS = frozenset(
    {"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"}
)


def own_api(request) -> str:
    """Gatehouse's own API as a resource: `/api/` on the issuer's origin (RFC 8707 2)."""
    issuer = urlsplit(oauth2_settings.oidc_issuer(request))
    return f"{issuer.scheme}://{issuer.netloc}/api/"


def registered(request) -> set[str]:
    """Every resource a token may be issued for, this moment."""
    servers = (
        Application.objects.filter(is_resource_server=True, suspended=False)
        .exclude(resource_uri="")
        .values_list("resource_uri", flat=True)
    )
    return {own_api(request), *servers}


def refusal(resources: list[str], request) -> str | None:
    """Why these resources may not be asked for (an `invalid_target` description), or None."""
    if not resources:
        return None
    known = registered(request)
    for resource in resources:
        if resource not in known:
            return f"The resource {resource!r} is not a resource server registered here."
    return None


def _authorized(request) -> list[str]:
    """What the code, device code or refresh token being exchanged was authorized for."""
    if request.grant_type == "refresh_token":
        instance = getattr(request, "refresh_token_instance", None)
        return list(getattr(instance, "resource", None) or [])
    if request.grant_type == "authorization_code":
        grant = Grant.objects.filter(code=request.code, application=request.client).only("resource").first()
        return list(grant.resource or []) if grant is not None else []
    return []  # device authorization requests carry no resource here


class InvalidTargetError(errors.CustomOAuth2Error):
    """RFC 8707 2.2 `invalid_target`, answered as JSON like every other token-endpoint error
    (raised while the token is made, it reaches DOT's view without oauthlib's JSON headers)."""

    def __init__(self, description: str, request):
        super().__init__(error="invalid_target", description=description, request=request)

    @property
    def headers(self):
        return {**super().headers, "Content-Type": "application/json", "Cache-Control": "no-store"}


def settle(request, dot_settle) -> None:
    """DOT's `_check_and_set_request_resource` (`dot_settle`: normalize `request.resource`,
    narrow it to what the code or refresh token carries), then Gatehouse's rule: raise
    `invalid_target` unless every resource is registered and, for a code, device code or
    refresh token, was authorized with it."""
    asked = bool(getattr(request, "resource", None))  # the request parameter, if sent
    try:
        dot_settle(request)
    except errors.CustomOAuth2Error as error:
        raise InvalidTargetError(error.description, request) from error
    problem = refusal(list(request.resource or []), request)
    if problem is None and asked and request.grant_type in NARROWING_GRANTS and not _authorized(request):
        problem = "This grant was authorized for no resource; ask for the resource when authorizing."
    if problem is not None:
        raise InvalidTargetError(problem, request)


def audience(request) -> str | list[str]:
    """RFC 9068 2.2 `aud`: the resources the token is for, else the client it was issued to."""
    resources = list(getattr(request, "resource", None) or [])
    if not resources:
        return request.client.client_id
    return resources[0] if len(resources) == 1 else resources
