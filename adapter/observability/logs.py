"""Logs as NAV's log pipeline reads them: one JSON object a line on stdout, personal data and
secrets scrubbed from every field before anything is written.

Each line has `@timestamp` (ISO 8601, UTC offset), `level`, `logger_name`, `message`, and where
they apply `stack_trace`, `trace_id`/`span_id` (the current span's) and the structured fields of
`FIELDS`, passed as `extra=` by the code that logs. Redaction runs over every value, and on the
handler, so it covers every logger, including libraries' (httpx logs URLs; aiokafka logs keys in
some errors): any 11-digit run is masked as an ident, and bearer tokens, JWTs and
`NAV-Samtykke-Token` and `consent_token` values are replaced. Uncaught exceptions (in the
main thread or any other) are logged through the same handler rather than printed raw.
"""

import logging
import re
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import orjson
from opentelemetry import trace

from nav_lookup_contracts.ident import mask_ident

FIELDS = ("request_id", "operation", "caller", "outcome", "feed", "topic", "partition", "offset")
"""Structured fields a log call may pass as `extra=`; others are not written."""

_IDENT = re.compile(r"(?<!\d)\d{11}(?!\d)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_SECRET_FIELDS = re.compile(
    r"(?i)((?:samtykke-token|consent_token|subscription-key|assertion|access_token|private_key)"
    r"[\"']?\s*[:=]\s*[\"']?)"
    r"[^\"'&\s,}]+"
)


def scrub(text: str) -> str:
    text = _JWT.sub("[jwt]", text)
    text = _BEARER.sub(r"\1 [token]", text)
    text = _SECRET_FIELDS.sub(r"\1[secret]", text)
    return _IDENT.sub(lambda m: mask_ident(m.group()), text)


class RedactingFilter(logging.Filter):
    """Renders the message once, scrubbed, so no argument reaches a formatter unmasked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks quote exception messages; keep the type and where, scrub the text.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class RepeatFilter(logging.Filter):
    """Lets one record of a kind through per `interval` from the loggers under `prefixes`.

    aiokafka logs every reconnect attempt, about ten a second per connection while a broker is
    away: an outage would bury every other line. A kind is the logger and the message's
    template; the first record after a quiet spell says how many were held back."""

    def __init__(self, prefixes: tuple[str, ...] = ("aiokafka",), interval: float = 10.0) -> None:
        super().__init__()
        self._prefixes = prefixes
        self._interval = interval
        self._last: dict[tuple[str, object], float] = {}
        self._held: dict[tuple[str, object], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._prefixes):
            return True
        kind = (record.name, record.msg)
        last = self._last.get(kind)
        if last is not None and record.created - last < self._interval:
            self._held[kind] = self._held.get(kind, 0) + 1
            return False
        self._last[kind] = record.created
        if held := self._held.pop(kind, 0):
            record.msg = f"{record.msg} ({held} like it in the last {self._interval:g} s not logged)"
        return True


def _field(value: object) -> str | int | float | bool:
    if isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


class JsonLineFormatter(logging.Formatter):
    """One JSON object a record, in the field names of NAV's log pipeline (logstash's)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger_name": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["stack_trace"] = scrub(record.exc_text)
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = _field(value)
        return orjson.dumps(line).decode()


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """JSON lines on stdout for the runtime roles; readable text on stderr for the tools, whose
    stdout is their output."""
    handler = logging.StreamHandler(sys.stdout if json_lines else sys.stderr)
    handler.addFilter(RepeatFilter())  # before redaction: it groups by the message's template
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonLineFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A crash would otherwise print its traceback straight to stderr, past the redaction.
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


_CRASH = logging.getLogger("adapter.crash")


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    _CRASH.critical("uncaught %s", kind.__name__, exc_info=(kind, value, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        thread = args.thread.name if args.thread is not None else "?"
        _CRASH.critical(
            "uncaught %s in thread %s",
            args.exc_type.__name__,
            thread,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
