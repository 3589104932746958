"""Resource servers registered at Gatehouse, whose identifiers (RFC 8707) tokens may be asked for."""

from apps.oauth.models import Application
from tests.oauth_flow import make_client

PHOTOS = "https://photos.example.com/api/"
FILES = "https://files.example.com/"


def register_resource_server(owner, uri: str, *, client_id: str | None = None) -> Application:
    """A client-credentials app that staff marked "resource server", with its identifier."""
    extra = {"client_id": client_id} if client_id else {}
    return make_client(
        owner,
        name=f"Resource server {uri}",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        is_resource_server=True,
        resource_uri=uri,
        **extra,
    )
