"""Gatehouse's protocol endpoints: DOT's views, with what strict clients and probes expect.

DOT and oauthlib issue, validate and revoke; these subclasses add the guards around them
(`guards`), and each concern has its module: `authorize`, `token` (with revocation and
introspection), `device`, `oidc` (userinfo, logout) and `discovery`. What they support is
stated in apps.oauth.supported; `urls` routes them ahead of DOT's own.
"""
