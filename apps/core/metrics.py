"""Hooks for the metrics at /metrics: each a no-op until an exporter is wired in (DESIGN.md)."""


def token_cache_lookup(kind: str, hit: bool) -> None:
    """A bearer credential was looked up in the shared cache (`kind`: "access_token" or "api_key").

    Never pass the credential, its user or anything else that identifies one as a label.
    """
