"""Every protected API operation, with the scope it needs and one that is not enough."""

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    scope: str | None  # None: any valid credential will do
    wrong_scope: str | None
    status: int
    body: dict | None = field(default=None)
    needs_connected_app: bool = False

    def __str__(self) -> str:
        return self.name

    def call(self, client, *, headers: dict | None = None, client_id: str = ""):
        kwargs = {"headers": headers or {}}
        if self.method in ("post", "put", "patch"):
            kwargs.update(data=json.dumps(self.body or {}), content_type="application/json")
        return getattr(client, self.method)(self.path.format(client_id=client_id), **kwargs)


ENDPOINTS = [
    Endpoint("me", "get", "/api/me/", "read", "read_profile", 200),
    Endpoint("profile-read", "get", "/api/profile/", "read_profile", "read", 200),
    Endpoint(
        "profile-patch", "patch", "/api/profile/", "write_profile", "read_profile", 200, {"bio": "Hello"}
    ),
    Endpoint("profile-put", "put", "/api/profile/", "write_profile", "write", 200, {"display_name": "Ada"}),
    Endpoint("token-info", "get", "/api/token/info/", None, None, 200),
    Endpoint("token-revoke", "post", "/api/token/revoke/", None, None, 204),
    Endpoint("token-list", "get", "/api/tokens/", "read", "write", 200),
    Endpoint("tokens-revoke-all", "post", "/api/tokens/revoke-all/", "write", "read", 200),
    Endpoint("connected-apps", "get", "/api/connected-apps/", "read", "read_profile", 200),
    Endpoint(
        "connected-app-delete",
        "delete",
        "/api/connected-apps/{client_id}/",
        "write",
        "write_profile",
        204,
        needs_connected_app=True,
    ),
]
SCOPED = [endpoint for endpoint in ENDPOINTS if endpoint.scope]
