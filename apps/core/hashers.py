import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _


class SecretHasher(BasePasswordHasher):
    """HMAC-SHA256 for high-entropy machine secrets (client secrets, API keys).

    PBKDF2's work factor protects guessable passwords; a 256-bit random secret cannot be
    guessed, so a keyed hash (salt plus SECRET_KEY as pepper) is as safe and costs
    microseconds instead of hundreds of milliseconds on every token request.
    """

    algorithm = "gatehouse_sha256"

    def _digest(self, password: str, salt: str, pepper: str | None = None) -> str:
        key = f"{settings.SECRET_KEY if pepper is None else pepper}:{salt}".encode()
        return hmac.new(key, password.encode(), hashlib.sha256).hexdigest()

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        return f"{self.algorithm}${salt}${self._digest(password, salt)}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        """Checked against SECRET_KEY, then each of SECRET_KEY_FALLBACKS, so rotating the
        pepper the Django way does not lock out every client and API key at once."""
        decoded = self.decode(encoded)
        return any(
            constant_time_compare(decoded["hash"], self._digest(password, decoded["salt"], pepper))
            for pepper in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        )

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
