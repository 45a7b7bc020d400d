"""Structured JSON logs, with personal data and secrets scrubbed before anything is written.

The redaction filter sits on the handler, so it covers every logger, including libraries'
(httpx logs URLs; aiokafka logs keys in some errors): any 11-digit run is masked as an ident,
and bearer tokens, JWTs and `NAV-Samtykke-Token` values are replaced. Uncaught exceptions (in the
main thread or any other) are logged through the same handler rather than printed raw.
"""

import logging
import re
import sys
import threading
from types import TracebackType

from pythonjsonlogger.json import JsonFormatter

from contracts.ident import mask_ident

_IDENT = re.compile(r"(?<!\d)\d{11}(?!\d)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_SECRET_FIELDS = re.compile(
    r"(?i)((?:samtykke-token|subscription-key|assertion|access_token|private_key)[\"']?\s*[:=]\s*[\"']?)"
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


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if json_lines:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
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
