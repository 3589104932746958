"""Log records that carry their request, as text or one JSON object a line, never a secret.

The request id and the OAuth client live in a context variable for the request's duration
(RequestTelemetryMiddleware binds it), so every record logged meanwhile, by any library, gets
them through `RequestContextFilter`. `RedactingFilter` masks what must never reach a log.
Both are handler filters, so they see records from every logger.
"""

import json
import logging
import re
import secrets
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

_context: ContextVar[dict[str, Any] | None] = ContextVar("gatehouse_log_context", default=None)

# Request ids a trusted proxy may hand us: a UUID, a hex or base64url string, a trace id.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
# What the access line adds to a record (the others come from every record).
ACCESS_FIELDS = ("user_id", "client_id", "path", "method", "status", "duration_ms")


def request_id_for(header: str | None, *, trusted: bool) -> str:
    """The proxy's X-Request-ID when it is trusted and well formed, else a fresh one."""
    if trusted and header and REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def bind_request(request_id: str) -> Token:
    return _context.set({"request_id": request_id})


def unbind_request(token: Token) -> None:
    _context.reset(token)


def bind(**fields: Any) -> None:
    """Add fields (`client_id`) to the current request's context; outside a request, nothing."""
    context = _context.get()
    if context is not None:
        context.update(fields)


def current() -> dict[str, Any]:
    return _context.get() or {}


class RequestContextFilter(logging.Filter):
    """Stamps every record with the request id of the request it was logged in (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs 4xx and 5xx answers after the middleware is done, naming the request.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = request_id or current().get("request_id")
        return True


# --- Redaction -------------------------------------------------------------------------------

# Keys whose values are secrets, as `key=value` (query strings, form bodies), `"key": "value"`
# (JSON) or `'key': 'value'` (a dict's repr). Not preceded by a word character: `status_code`
# and `grant_type=authorization_code` are not secrets.
SECRET_KEYS = (
    "password",
    "password1",
    "password2",
    "passwd",
    "client_secret",
    "secret",
    "code",
    "code_verifier",
    "device_code",
    "user_code",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "id_token_hint",
    "subject_token",
    "assertion",
    "api_key",
    "key",
)
_PAIR = re.compile(
    r"(?<![\w-])(?P<key>[\"']?(?:" + "|".join(SECRET_KEYS) + r")[\"']?)(?P<sep>\s*[=:]\s*)"
    r"(?:(?P<quote>[\"'])(?:\\.|(?!(?P=quote)).)*(?P=quote)|[^\s&,;}\]\"']+)",
    re.IGNORECASE,
)
_PATTERNS = [
    # Authorization header values.
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 ***"),
    # Personal API keys, today's and the legacy GitHub-style ones (apps.apikeys.models).
    (re.compile(r"\b(gatehouse_|gh_pat_)[0-9A-Za-z_]{8,}"), r"\1***"),
    # JWTs (ID tokens, logout hints): header.payload.signature.
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), "eyJ***"),
    # Email addresses keep their first letter and domain: a***@example.com.
    (re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"), r"\1***@\2"),
]


def _mask_pair(match: re.Match) -> str:
    quote = match["quote"] or ""
    return f"{match['key']}{match['sep']}{quote}***{quote}"


def redact(text: str) -> str:
    """`text` with every secret we know the shape of masked."""
    text = _PAIR.sub(_mask_pair, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        return "***" if key.lower() in SECRET_KEYS else redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(key, v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Masks secrets in the message, its traceback and the fields the formatters print."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call must not fail the request that logged it
            message = f"{record.msg} (arguments: {record.args!r})"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        for name in ("path", "client_id"):
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, redact(value))
        for name in set(record.__dict__) & set(SECRET_KEYS):
            setattr(record, name, _redact_value(name, getattr(record, name)))
        return True


# --- Formatters ------------------------------------------------------------------------------


class TextFormatter(logging.Formatter):
    """Today's plain message, with the request id in front when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"[{request_id}] {line}" if request_id else line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, the access fields when
    the record has them, and the traceback as `exc_info`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in ACCESS_FIELDS:
            if getattr(record, name, None) is not None:
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
