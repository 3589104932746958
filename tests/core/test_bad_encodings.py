"""A body Django cannot decode is a 400 (JSON for machines, a page for people) on every path,
never a 500: Django's own error handlers run a CSRF check that reads the body again."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.middleware import MACHINE_PATHS
from apps.core.views import bad_request, server_error

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x/y"}


def every_path(patterns=None, prefix: str = "") -> list[str]:
    """One concrete path for every URL pattern, converters filled with sample values."""
    paths = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if route.startswith("^"):  # a regex route (the admin's): take its literal prefix
            route = re.split(r"[(\[\\$?]", route[1:], maxsplit=1)[0]
        route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "", "x"), route)
        if isinstance(entry, URLResolver):
            paths += every_path(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


PATHS = every_path()


def csrf_browser() -> Client:
    """A client with a CSRF cookie that enforces CSRF, like a browser talking to gunicorn."""
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    browser.cookies["csrftoken"] = "a" * 32
    return browser


def test_every_path_is_covered():
    assert {
        "/o/authorize/",
        "/o/token/",
        "/accounts/login/",
        "/api/me/",
        "/connected-apps/revoke-all/",
    } <= set(PATHS)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("charset", ["latin-1", "utf-16"])
def test_a_form_in_another_charset_is_a_400_in_the_paths_own_format(path, charset):
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    response = csrf_browser().generic("POST", path, b"name=caf\xe9", content_type=content_type)
    assert response.status_code == 400
    if path.startswith(MACHINE_PATHS):
        assert response.json() == {
            "error": "invalid_request",
            "error_description": "The request body could not be read.",
        }
    else:
        assert b"<h1>Bad request</h1>" in response.content


@pytest.mark.parametrize("path", ["/accounts/login/", "/settings/api-keys/new/", "/o/token/", "/api/me/"])
def test_a_broken_multipart_body_is_a_400(path):
    response = csrf_browser().generic("POST", path, b"x=1", content_type="multipart/form-data")  # no boundary
    assert response.status_code == 400


def test_a_signed_in_person_gets_the_page_too(user):
    browser = csrf_browser()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.generic(
        "POST",
        "/connected-apps/revoke-all/",
        b"x=1",
        content_type="application/x-www-form-urlencoded; charset=utf-16",
    )
    assert response.status_code == 400
    assert b"<h1>Bad request</h1>" in response.content


def unreadable_post(rf, path: str):
    return rf.generic("POST", path, b"x=1", content_type="application/x-www-form-urlencoded; charset=latin-1")


@pytest.mark.parametrize("path", ["/accounts/login/", "/o/token/"])
def test_the_error_handlers_never_read_the_body_again(rf, path):
    request = unreadable_post(rf, path)
    request.COOKIES["csrftoken"] = "a" * 32
    assert bad_request(request, ValueError()).status_code == 400
    assert server_error(request).status_code == 500


def test_utf8_forms_still_reach_the_view(client):
    response = client.post("/accounts/login/", {"login": "café@example.com", "password": "x"})
    assert response.status_code == 200
    assert "café@example.com" in response.content.decode()


def test_an_oversized_form_is_a_413_page(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = b"login=" + b"x" * 500 + b"&password=x"
    response = csrf_browser().generic(
        "POST", "/accounts/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert b"<h1>Request too large</h1>" in response.content
