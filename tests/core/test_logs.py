"""Request ids, JSON log lines and the redaction that keeps secrets out of every log."""

import io
import json
import logging
import re
import sys

import pytest

from apps.core.logs import JsonFormatter, RedactingFilter, RequestContextFilter, TextFormatter
from apps.oauth.models import Application
from tests.oauth_flow import CLIENT_SECRET, basic_auth, make_client, token_request

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines(settings):
    """The console handler as GATEHOUSE_LOG_FORMAT=json configures it, writing to a buffer;
    returns the lines written so far, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactingFilter())
    root, access = logging.getLogger(), logging.getLogger("gatehouse.access")
    levels = root.level, access.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    access.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(levels[0])
    access.setLevel(levels[1])


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "gatehouse.access"]


# --- Request ids -------------------------------------------------------------------------------


def test_every_response_carries_a_generated_request_id(client):
    first, second = client.get("/healthz/"), client.get("/healthz/")
    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_clients_request_id_is_ignored_when_not_behind_a_proxy(client):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="chosen-by-the-client-123")
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_the_proxys_request_id_is_kept_behind_a_proxy(client, settings):
    settings.GATEHOUSE_BEHIND_PROXY = True
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="3f2b8c1e-proxy-0001")
    assert response["X-Request-ID"] == "3f2b8c1e-proxy-0001"


@pytest.mark.parametrize(
    "malformed",
    ["short", "x" * 129, "has spaces in it", "line\nbreak-injected", 'quote"d-value-1', "-leading-dash"],
)
def test_a_malformed_request_id_is_replaced_even_behind_a_proxy(client, settings, malformed):
    settings.GATEHOUSE_BEHIND_PROXY = True
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=malformed)
    assert GENERATED.fullmatch(response["X-Request-ID"])


# --- JSON lines ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_leaves_one_json_access_line_with_its_fields(auth_client, user, json_lines):
    response = auth_client.get("/dashboard/?tab=secret-ish")
    [line] = access_lines(json_lines())
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "path", "method", "status"}
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["level"], line["method"], line["path"], line["status"]) == (
        "INFO",
        "GET",
        "/dashboard/",
        200,
    )
    assert line["user_id"] == user.pk
    assert isinstance(line["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


@pytest.mark.django_db
def test_the_token_endpoints_access_line_names_the_client(client, developer, json_lines):
    app = make_client(developer, name="Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    token_request(client, {"grant_type": "client_credentials"}, **basic_auth(app.client_id, CLIENT_SECRET))
    [line] = access_lines(json_lines())
    assert (line["path"], line["status"], line["client_id"]) == ("/o/token/", 200, app.client_id)
    assert "user_id" not in line


@pytest.mark.django_db
def test_other_records_of_a_request_carry_its_id(client, user, json_lines):
    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    audit = [line for line in json_lines() if line["logger"] == "gatehouse.audit"]
    assert audit and all(line["request_id"] == response["X-Request-ID"] for line in audit)
    assert user.email not in json.dumps(json_lines())


def test_a_record_outside_a_request_has_no_request_id(json_lines):
    logging.getLogger("gatehouse.test").warning("two\nlines")
    [line] = json_lines()
    assert line["request_id"] is None and line["message"] == "two\nlines"


def test_the_text_format_is_the_message_after_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert TextFormatter().format(record) == "hello world"
    record.request_id = "abc123"
    assert TextFormatter().format(record) == "[abc123] hello world"


# --- Redaction -------------------------------------------------------------------------------


def redacted(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, args or None, None)
    record.__dict__.update(extra)
    RedactingFilter().filter(record)
    return record


@pytest.mark.parametrize(
    ("message", "secret", "kept"),
    [
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig", "Bearer ***"),
        ("Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA", "2YotnFZFEjr1zCsicMWpAA", "Bearer ***"),
        ("Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW", "czZCaGRSa3F0MzpnWDFmQmF0M2JW", "Basic ***"),
        ("GET /callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", "SplxlOBeZQQYbYS6WxSbIA", "&state=xyz"),
        ("body: grant_type=authorization_code&code=abc123def", "abc123def", "grant_type=authorization_code"),
        ("client_secret=7Fjfp0ZBr1KtDRbnfVdmIw", "7Fjfp0ZBr1KtDRbnfVdmIw", "client_secret=***"),
        ('{"client_secret": "7Fjfp0 ZBr1KtDRbn"}', "7Fjfp0", '{"client_secret": "***"}'),
        ("password=hunter2hunter2", "hunter2hunter2", "password=***"),
        ("{'password': 'correct horse battery'}", "correct horse", "{'password': '***'}"),
        ("refresh_token=tGzv3JOkF0XG5Qx2TlKWIA", "tGzv3JOkF0XG5Qx2TlKWIA", "refresh_token=***"),
        (
            "key gatehouse_AbCdEfGhIjKl_" + "x" * 49 + " used",
            "AbCdEfGhIjKl",
            "key gatehouse_*** used",
        ),
        ("legacy gh_pat_0123456789_abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop", "legacy gh_pat_***"),
        ("id_token_hint eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJzdWIiOiIxIn0", "eyJ***"),
        ("signed in as ada.lovelace@example.com", "ada.lovelace", "a***@example.com"),
    ],
)
def test_secrets_are_masked_in_messages(message, secret, kept):
    message = redacted(message).getMessage()
    assert secret not in message
    assert kept in message


def test_secrets_in_arguments_are_masked_once_formatted():
    record = redacted("token request %s from %s", {"client_secret": "s3cr3t-value"}, "grace@example.org")
    assert record.getMessage() == "token request {'client_secret': '***'} from g***@example.org"


def test_secret_fields_passed_as_extra_are_masked():
    record = redacted("login", password="hunter2hunter2", path="/reset/ada@example.com/")
    assert (record.password, record.path) == ("***", "/reset/a***@example.com/")


def test_secrets_in_a_traceback_are_masked():
    try:
        raise ValueError("bad refresh_token=tGzv3JOkF0XG5Qx2TlKWIA")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    RedactingFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert "tGzv3JOkF0XG5Qx2TlKWIA" not in line["exc_info"] and "refresh_token=***" in line["exc_info"]


def test_words_that_only_look_like_secret_keys_are_left_alone():
    message = "grant_type=authorization_code status_code=400 response_type=code, basic info"
    assert redacted(message).getMessage() == message


def test_a_malformed_log_call_is_still_masked_and_does_not_raise():
    record = redacted("%s and %s", "password=hunter2hunter2")
    assert "hunter2hunter2" not in record.getMessage()
