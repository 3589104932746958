"""The keyed hasher for machine secrets (client secrets, API keys)."""

from django.contrib.auth.hashers import check_password, make_password

HASHER = "gatehouse_sha256"


def test_a_secret_hashed_under_the_old_key_still_checks_after_rotation(settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    encoded = make_password("a-256-bit-secret", hasher=HASHER)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key-" + "y" * 50, ["old-key-" + "x" * 50]
    assert check_password("a-256-bit-secret", encoded)
    assert not check_password("another-secret", encoded)


def test_a_key_dropped_from_the_fallbacks_no_longer_checks(settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    encoded = make_password("a-256-bit-secret", hasher=HASHER)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key-" + "y" * 50, []
    assert not check_password("a-256-bit-secret", encoded)


def test_the_hash_never_contains_the_secret():
    encoded = make_password("a-256-bit-secret", hasher=HASHER)
    assert encoded.startswith("gatehouse_sha256$") and "a-256-bit-secret" not in encoded
