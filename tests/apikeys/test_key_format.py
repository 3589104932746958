"""The key format: the `gatehouse_` prefix with a checksum, the old `gh_pat_` keys still accepted,
and the README's regex and checksum recipe for secret scanners kept true."""

import re
from pathlib import Path

import pytest
from pytest_django.asserts import assertContains

from apps.apikeys.services import find_api_key, key_checksum, looks_like_api_key

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def readme_regex(prefix: str) -> re.Pattern:
    [pattern] = re.findall(rf"(\\b{prefix}\S+\\b)", README)
    return re.compile(pattern)


def me(client, raw: str):
    return client.get("/api/me/", headers={"Authorization": f"Bearer {raw}"})


def test_a_new_key_ends_with_the_crc32_of_the_rest_in_base62(make_key):
    _, raw = make_key()
    assert raw.startswith("gatehouse_") and len(raw) == 72
    assert raw[-6:] == key_checksum(raw[:-6])


def test_the_checksum_is_six_base62_digits_most_significant_first():
    assert key_checksum("") == "000000"  # crc32 of nothing is 0
    # CRC-32 check value 0xCBF43926 = 3421780262 = 3·62⁵ + 45·62⁴ + 35·62³ + 27·62² + 22·62 + 14
    assert key_checksum("123456789") == "3jZRME"


def test_the_readme_regex_finds_new_keys_in_text(make_key):
    _, raw = make_key()
    pattern = readme_regex("gatehouse_")
    assert pattern.findall(f"leaked: {raw}, oops") == [raw]
    assert not pattern.search(raw + "x")
    assert not pattern.search("gatehouse_sha256$abc")  # our own hash format is no key


def test_the_readme_checksum_recipe_agrees_with_issued_keys(make_key):
    [recipe] = re.findall(r"```python\n(.*?)```", README, re.S)
    namespace: dict = {}
    exec(recipe, namespace)
    _, raw = make_key()
    assert namespace["has_gatehouse_checksum"](raw)
    assert not namespace["has_gatehouse_checksum"](raw[:-1] + ("0" if raw[-1] != "0" else "1"))


def test_the_readme_regex_finds_legacy_keys(make_legacy_key):
    _, raw = make_legacy_key()
    assert readme_regex("gh_pat_").findall(f"token={raw}") == [raw]


def test_both_prefixes_are_taken_for_api_keys():
    assert looks_like_api_key("gatehouse_x") and looks_like_api_key("gh_pat_x")
    assert not looks_like_api_key("ghp_x") and not looks_like_api_key("gatehouse")


def test_a_wrong_checksum_is_refused_without_a_query(make_key, django_assert_num_queries):
    _, raw = make_key()
    typo = raw[:30] + ("a" if raw[30] != "a" else "b") + raw[31:]
    with django_assert_num_queries(0):
        assert find_api_key(typo) is None
    assert find_api_key(raw) is not None


def test_a_wrong_checksum_gets_the_usual_401(make_key, client):
    _, raw = make_key()
    response = me(client, raw[:-6] + "AAAAAA")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_legacy_key_still_works(make_legacy_key, client):
    api_key, raw = make_legacy_key()
    assert find_api_key(raw) == api_key
    assert me(client, raw).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: raw + "AAAAAA",  # a legacy key does not gain a checksum
        lambda raw: raw.replace("gh_pat_", "gatehouse_"),
    ],
)
def test_a_wrong_legacy_key_finds_nothing(make_legacy_key, mangle):
    _, raw = make_legacy_key()
    assert find_api_key(mangle(raw)) is None


def test_each_key_is_shown_with_its_own_prefix(auth_client, make_key, make_legacy_key):
    new, _ = make_key(name="new script")
    old, _ = make_legacy_key(name="old script")
    assert (new.masked, old.masked) == (f"gatehouse_{new.key_id}_…", f"gh_pat_{old.key_id}_…")
    response = auth_client.get("/settings/api-keys/")
    assertContains(response, new.masked)
    assertContains(response, old.masked)
