"""/metrics: off until protected, then Prometheus' text format with what operators watch."""

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.apikeys.services import create_api_key
from apps.core.metrics import token_cache_lookup
from apps.core.ratelimit import digest, hit
from apps.oauth.models import Application
from tests.conftest import PASSWORD
from tests.oauth_flow import CLIENT_SECRET, basic_auth, make_client, token_request

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scrape-token-" + "s" * 32
SCRAPE = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def scraping(settings):
    settings.GATEHOUSE_METRICS_TOKEN = TOKEN


def scrape(client) -> str:
    response = client.get("/metrics", **SCRAPE)
    assert response.status_code == 200
    return response.content.decode()


def value(client, name: str, **labels: str) -> float:
    """One sample's value in a real scrape (0 when absent: a counter not yet counted)."""
    for family in text_string_to_metric_families(scrape(client)):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics", **SCRAPE).status_code == 404


def test_a_scrape_without_the_token_is_401(client, scraping):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_a_scrape_with_the_token_is_the_text_format(client, scraping):
    response = client.get("/metrics", **SCRAPE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE gatehouse_http_requests_total counter" in response.content.decode()


def test_a_scrape_from_outside_the_allow_list_is_403(client, settings):
    settings.GATEHOUSE_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_the_allow_list_reads_the_address_the_proxy_saw(client, settings):
    settings.GATEHOUSE_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    outside = client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert outside.status_code == 403


def test_with_both_set_a_scraper_needs_both(client, settings, scraping):
    settings.GATEHOUSE_METRICS_ALLOW = [ipaddress.ip_network("127.0.0.1/32")]
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", **SCRAPE).status_code == 403
    assert client.get("/metrics", **SCRAPE).status_code == 200


def test_requests_are_counted_by_url_name_never_by_path(client, scraping):
    before = value(client, "gatehouse_http_requests_total", view="core:healthz", method="GET", status="200")
    client.get("/healthz/")
    client.get("/no-such-page/ada@example.com")
    text = scrape(client)
    after = value(client, "gatehouse_http_requests_total", view="core:healthz", method="GET", status="200")
    assert after == before + 1
    assert 'view="unmatched"' in text
    assert "no-such-page" not in text and "ada@example.com" not in text


def test_the_hot_paths_are_timed(client, scraping):
    before = value(client, "gatehouse_http_request_duration_seconds_count", endpoint="api")
    client.get("/api/me/")
    assert value(client, "gatehouse_http_request_duration_seconds_count", endpoint="api") == before + 1


def test_grants_are_counted_by_grant_type_and_outcome(client, scraping, developer):
    app = make_client(developer, name="Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])

    def grants(outcome: str) -> float:
        return value(
            client, "gatehouse_oauth_token_grants_total", grant_type="client_credentials", outcome=outcome
        )

    success, failure = grants("success"), grants("invalid_client")
    data = {"grant_type": "client_credentials", "scope": "read"}
    assert token_request(client, data, **basic_auth(app.client_id, CLIENT_SECRET)).status_code == 200
    assert token_request(client, data, **basic_auth(app.client_id, "wrong")).status_code == 401
    assert (grants("success"), grants("invalid_client")) == (success + 1, failure + 1)
    assert app.client_id not in scrape(client)


def test_sign_ins_and_failures_are_counted(client, scraping, user):
    success = value(client, "gatehouse_sign_ins_total", outcome="success", step="")
    failure = value(client, "gatehouse_sign_ins_total", outcome="failure", step="password")
    client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert value(client, "gatehouse_sign_ins_total", outcome="success", step="") == success + 1
    assert value(client, "gatehouse_sign_ins_total", outcome="failure", step="password") == failure + 1
    assert value(client, "gatehouse_audit_events_total", kind="account.signed_in") >= 1
    assert user.email not in scrape(client)


def test_a_throttled_api_call_is_a_refusal(client, scraping, settings, user):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1/hour"}}
    key = create_api_key(user=user, name="script", scopes=["read"])[1]
    before = value(client, "gatehouse_rate_limit_refusals_total", limit="api:key")
    statuses = [client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code for _ in range(2)]
    assert statuses == [200, 429]
    assert value(client, "gatehouse_rate_limit_refusals_total", limit="api:key") == before + 1
    assert key not in scrape(client)


def test_a_refusal_is_labelled_by_the_limit_never_by_what_it_counts(client, scraping):
    bucket = f"token:address:{digest('203.0.113.7')}"
    before = value(client, "gatehouse_rate_limit_refusals_total", limit="token:address")
    assert [hit(bucket, limit=1, period=60).allowed for _ in range(2)] == [True, False]
    assert value(client, "gatehouse_rate_limit_refusals_total", limit="token:address") == before + 1
    assert digest("203.0.113.7") not in scrape(client)


def test_token_cache_lookups_count_hits_and_misses(client, scraping):
    hits = value(client, "gatehouse_token_cache_lookups_total", kind="oauth", result="hit")
    misses = value(client, "gatehouse_token_cache_lookups_total", kind="oauth", result="miss")
    token_cache_lookup("oauth", True)
    token_cache_lookup("oauth", False)
    token_cache_lookup("oauth", False)
    assert value(client, "gatehouse_token_cache_lookups_total", kind="oauth", result="hit") == hits + 1
    assert value(client, "gatehouse_token_cache_lookups_total", kind="oauth", result="miss") == misses + 2


def test_a_kind_that_is_not_a_word_never_becomes_a_label(client, scraping):
    token_cache_lookup("gatehouse_abc/123 ada@example.com", True)
    assert "ada@example.com" not in scrape(client)
    assert value(client, "gatehouse_token_cache_lookups_total", kind="other", result="hit") >= 1


def test_the_task_queue_gauge_is_absent_without_the_database_backend(client, scraping):
    assert "gatehouse_task_queue_depth" not in scrape(client)


def test_several_gunicorn_workers_share_one_set_of_values(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, what one process counted is in another's scrape."""
    script = (
        "import django; django.setup()\n"
        "from apps.core import metrics\n"
        "metrics.token_cache_lookup('apikey', True)\n"
        "print(metrics.exposition().decode())\n"
    )
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    for _ in range(2):  # two workers, one after the other
        output = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
    assert 'gatehouse_token_cache_lookups_total{kind="apikey",result="hit"} 2.0' in output


def test_the_sample_dashboard_charts_every_metric():
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    queries = " ".join(target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", []))
    for name in [
        "gatehouse_http_requests_total",
        "gatehouse_http_request_duration_seconds_bucket",
        "gatehouse_oauth_token_grants_total",
        "gatehouse_sign_ins_total",
        "gatehouse_rate_limit_refusals_total",
        "gatehouse_token_cache_lookups_total",
        "gatehouse_task_queue_depth",
        "gatehouse_audit_events_total",
    ]:
        assert name in queries, name
