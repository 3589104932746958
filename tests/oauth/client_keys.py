"""Client-side private_key_jwt helpers: keys, JWK Sets and assertions signed with jwcrypto."""

import json
import time
import uuid

from jwcrypto import jwk, jwt

from apps.oauth.client_assertion import ASSERTION_TYPE

TOKEN_URL = "http://testserver/o/token/"
ISSUER = "http://testserver/o"


def rsa_key(kid: str = "rsa-1") -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048, kid=kid)


def ec_key(kid: str = "ec-1") -> jwk.JWK:
    return jwk.JWK.generate(kty="EC", crv="P-256", kid=kid)


def public_jwks(*keys: jwk.JWK) -> dict:
    return {"keys": [json.loads(key.export_public()) for key in keys]}


def sign(key: jwk.JWK, claims: dict, *, alg: str = "RS256", header: dict | None = None) -> str:
    token = jwt.JWT(header={"alg": alg, "kid": key.key_id, **(header or {})}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def claims_for(client_id: str, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def assertion_params(key: jwk.JWK, client_id: str, *, alg: str = "RS256", **claims) -> dict:
    return {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": sign(key, claims_for(client_id, **claims), alg=alg),
    }
