"""Prometheus metrics: what Gatehouse counts, under which labels, and their exposition.

prometheus-client directly, not django-prometheus: we choose every label, so none can carry a
raw path, a token, an email address or a user id, and a request costs one counter and (on the
hot paths) one histogram, not django-prometheus' dozen metrics and its model/cache wrappers.

Every label value is drawn from a closed set: URL names, HTTP methods and status codes, grant
types, RFC 6749 error codes, audit kinds, rate-limit bucket names. With PROMETHEUS_MULTIPROC_DIR
set (gunicorn with several workers), prometheus-client keeps the values in files there and the
scrape sums them across workers.
"""

import hmac
import ipaddress
import logging
import os
import re
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from apps.core.http import client_ip

log = logging.getLogger("gatehouse.metrics")

REQUESTS = Counter(
    "gatehouse_http_requests",
    "Requests answered, by URL name (never the path), method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "gatehouse_http_request_duration_seconds",
    "Time to answer the hot paths: the token and authorization endpoints and the API.",
    ["endpoint"],
)
TOKEN_GRANTS = Counter(
    "gatehouse_oauth_token_grants",
    "Token endpoint requests, by grant type and outcome (success, or the RFC 6749 error code).",
    ["grant_type", "outcome"],
)
PUSHED_REQUESTS = Counter(
    "gatehouse_oauth_pushed_requests",
    "Pushed authorization requests (RFC 9126), by outcome (success, or the RFC 6749 error code).",
    ["outcome"],
)
SIGN_INS = Counter(
    "gatehouse_sign_ins",
    "Sign-ins, by outcome and, for failures, the step that failed.",
    ["outcome", "step"],
)
AUDIT_EVENTS = Counter("gatehouse_audit_events", "Audit events recorded, by kind.", ["kind"])
RATE_LIMIT_REFUSALS = Counter(
    "gatehouse_rate_limit_refusals",
    "Requests refused by a rate limit or API throttle, by limit (never the counted client).",
    ["limit"],
)
TOKEN_CACHE_LOOKUPS = Counter(
    "gatehouse_token_cache_lookups",
    "Bearer-token cache lookups, by kind of credential and result (hit or miss).",
    ["kind", "result"],
)

# The hot paths whose latency is worth a histogram, by path prefix.
TIMED_PATHS = tuple(
    (prefix, LATENCY.labels(endpoint))
    for prefix, endpoint in (("/o/token/", "token"), ("/o/authorize/", "authorize"), ("/api/", "api"))
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# RFC 6749 5.2 and 4.1.2.1, RFC 8628 3.5, and our own slow_down for flooding clients.
TOKEN_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
        "server_error",
        "temporarily_unavailable",
        "authorization_pending",
        "slow_down",
        "expired_token",
    }
)
# A label-safe word: what a caller names its own limits and cache kinds with. Anything else
# (a digest, a number, a client-controlled string) must never become a label value.
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def _word(value: str) -> str:
    return value if _WORD.fullmatch(value) else "other"


# Each request's counter, found by a dict lookup: `labels()` validates and locks every time.
# Keyed by the label values themselves, so it is as bounded as they are.
_request_counters: dict[tuple[str, str, int], Counter] = {}


def observe_request(*, view: str, method: str, status: int, path: str, seconds: float) -> None:
    """Count one answered request; time it too if it is on a hot path."""
    key = (view, method if method in METHODS else "other", status)
    counter = _request_counters.get(key)
    if counter is None:
        counter = _request_counters[key] = REQUESTS.labels(*key[:2], str(status))
    counter.inc()
    for prefix, histogram in TIMED_PATHS:
        if path.startswith(prefix):
            histogram.observe(seconds)
            break


def token_grant(*, grant_type: str, error: str | None) -> None:
    """One token endpoint answer: `grant_type` as the server supports it (else "other"), and
    the error code it answered with, None on success."""
    outcome = "success" if error is None else (error if error in TOKEN_ERRORS else "other")
    TOKEN_GRANTS.labels(grant_type, outcome).inc()


def pushed_request(*, error: str | None) -> None:
    """One PAR endpoint answer: success, or the error code it answered with."""
    PUSHED_REQUESTS.labels(
        "success" if error is None else (error if error in TOKEN_ERRORS else "other")
    ).inc()


def sign_in(*, success: bool, step: str = "password") -> None:
    """A sign-in, or a failed one at `step` (password, second_factor, reauthentication)."""
    if success:
        SIGN_INS.labels("success", "").inc()
    else:
        SIGN_INS.labels("failure", _word(step)).inc()


def audit_event(kind: str) -> None:
    AUDIT_EVENTS.labels(kind).inc()


def rate_limit_refused(bucket: str) -> None:
    """A refusal by the limit counting `bucket`. Only its leading words become the label
    ("token:address:<digest>" → "token:address"), never the digest, user or key they count."""
    words = []
    for part in bucket.split(":")[:2]:
        if not _WORD.fullmatch(part):
            break
        words.append(part)
    RATE_LIMIT_REFUSALS.labels(":".join(words) or "other").inc()


def token_cache_lookup(kind: str, hit: bool) -> None:
    """One lookup in the bearer-token cache: `kind` of credential ("oauth", "apikey"), hit or miss."""
    TOKEN_CACHE_LOOKUPS.labels(_word(kind), "hit" if hit else "miss").inc()


class TaskQueueCollector:
    """Tasks waiting in the django-tasks database backend, counted at scrape time (one query).

    Absent unless `django_tasks_db` is installed; a database error skips it for that scrape.
    """

    def describe(self) -> list[Metric]:
        return []  # nothing to describe up front: registering must not query the database

    def collect(self) -> Iterable[Metric]:
        if not apps.is_installed("django_tasks_db"):
            return
        gauge = GaugeMetricFamily(
            "gatehouse_task_queue_depth",
            "Tasks ready to run and not yet picked up, by queue.",
            labels=["queue"],
        )
        try:
            model = apps.get_model("django_tasks_db", "DBTaskResult")
            queryset = model.objects.all()
            queryset = queryset.ready() if hasattr(queryset, "ready") else queryset.filter(status="READY")
            rows = queryset.order_by().values_list("queue_name").annotate(depth=Count("pk"))
            for queue_name, depth in rows:
                gauge.add_metric([queue_name], depth)
        except (LookupError, DatabaseError):
            log.warning("task queue depth unavailable", exc_info=True)
            return
        yield gauge


def exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's, or with PROMETHEUS_MULTIPROC_DIR
    set, every worker's summed, plus the values read at scrape time."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(TaskQueueCollector())
    return generate_latest(registry) + generate_latest(scraped)


def scrape_enabled() -> bool:
    """/metrics answers only when a token or an address allow-list protects it."""
    return bool(settings.GATEHOUSE_METRICS_TOKEN or settings.GATEHOUSE_METRICS_ALLOW)


def scrape_refusal(request: HttpRequest) -> HttpResponse | None:
    """403 from an address outside GATEHOUSE_METRICS_ALLOW, 401 without GATEHOUSE_METRICS_TOKEN
    (each when set; with both set, a scraper needs both), else None."""
    allowed = settings.GATEHOUSE_METRICS_ALLOW
    if allowed:
        try:
            address = ipaddress.ip_address(client_ip(request) or "")
        except ValueError:
            address = None
        if address is None or not any(address in ipaddress.ip_network(net) for net in allowed):
            return HttpResponse("Forbidden.\n", status=403, content_type="text/plain; charset=utf-8")
    token = settings.GATEHOUSE_METRICS_TOKEN
    if token:
        scheme, _, presented = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain; charset=utf-8")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return None
