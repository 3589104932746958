"""A DPoP client as a client library builds one (RFC 9449 4): a key pair, and a signed proof per request."""

import base64
import hashlib
import json
import time
import uuid

from jwcrypto import jwk, jws

SERVER = "http://testserver"


class DPoPKey:
    """A client's DPoP key: ES256 on P-256 unless told otherwise."""

    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        if alg.startswith("ES"):
            self.key = jwk.JWK.generate(kty="EC", crv={"ES256": "P-256", "ES384": "P-384"}[alg])
        elif alg == "EdDSA":
            self.key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
        else:
            self.key = jwk.JWK.generate(kty="RSA", size=2048)

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def public_jwk(self) -> dict:
        return json.loads(self.key.export_public())

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        header: dict | None = None,
        **claims,
    ) -> str:
        """A signed proof for `method` `url` (relative URLs are on the test server)."""
        payload = {
            "jti": str(uuid.uuid4()),
            "htm": method,
            "htu": url if "://" in url else SERVER + url,
            "iat": int(time.time()),
        }
        if access_token is not None:
            payload["ath"] = (
                base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
            )
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims)
        protected = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public_jwk(), **(header or {})}
        token = jws.JWS(json.dumps(payload))
        token.add_signature(self.key, alg=self.alg, protected=json.dumps(protected))
        return token.serialize(compact=True)


def dpop_auth(access_token: str, proof: str) -> dict:
    """Test-client kwargs for a resource request with a DPoP-bound token (RFC 9449 7.1)."""
    return {"HTTP_AUTHORIZATION": f"DPoP {access_token}", "HTTP_DPOP": proof}
