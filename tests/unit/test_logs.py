import io
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from adapter.observability.logs import JsonLineFormatter, RedactingFilter, scrub

FNR = "13097248022"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"lookup for {FNR} failed", FNR),
        (f"GET /x?fnr={FNR}", FNR),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "eyJzdWIiOi"),
        ("NAV-Samtykke-Token: c2FtdHlra2U=", "c2FtdHlra2U="),
        ('{"consent_token": "c2FtdHlra2U="}', "c2FtdHlra2U="),
        ("consent_token=c2FtdHlra2U= ident=x", "c2FtdHlra2U="),
        ("assertion=eyJ.x.y&grant_type=z", "eyJ.x.y"),
        ('{"access_token": "opaque-123"}', "opaque-123"),
    ],
)
def test_scrub_removes_idents_and_secrets(text: str, secret: str) -> None:
    assert secret not in scrub(text)


def test_longer_digit_runs_are_not_idents() -> None:
    assert scrub("offset 123456789012") == "offset 123456789012"


def test_filter_covers_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("ident %s", FNR)
        try:
            raise ValueError(f"bad ident {FNR}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert FNR not in output
    assert "130972*****" in output and "ValueError" in output


def _json_line(logger: logging.Logger, emit: Callable[[logging.Logger], None]) -> dict[str, Any]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def test_a_json_line_has_the_pipelines_fields_and_the_structured_ones() -> None:
    line = _json_line(
        logging.getLogger("test.json"),
        lambda log: log.warning(
            "lookup for %s", FNR, extra={"request_id": "r-1", "caller": f"team {FNR}", "outcome": "ok"}
        ),
    )
    assert datetime.fromisoformat(line["@timestamp"]).utcoffset() == timedelta(0)
    assert line["level"] == "WARNING" and line["logger_name"] == "test.json"
    assert line["message"] == "lookup for 130972*****"
    assert line["request_id"] == "r-1" and line["outcome"] == "ok"
    assert FNR not in line["caller"]  # every field is scrubbed, not only the message
    assert "trace_id" not in line and "stack_trace" not in line


def test_an_exception_is_a_scrubbed_stack_trace_field() -> None:
    def emit(log: logging.Logger) -> None:
        try:
            raise ValueError(f"bad ident {FNR}")
        except ValueError:
            log.exception("failed")

    line = _json_line(logging.getLogger("test.json"), emit)
    assert line["message"] == "failed"
    assert "ValueError: bad ident 130972*****" in line["stack_trace"]
    assert FNR not in json.dumps(line)


def test_an_uncaught_exception_s_traceback_is_scrubbed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import threading

    from adapter.observability.logs import configure_logging

    # Put back what configure_logging replaces, for the tests after this one.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(logging.getLogger(), "handlers", list(logging.getLogger().handlers))
    configure_logging("INFO", json_lines=True)
    token = "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"
    try:
        raise RuntimeError(f"lookup for {FNR} with {token}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]

    def crash() -> None:
        raise ValueError(f"ident {FNR}")

    thread = threading.Thread(target=crash)
    thread.start()
    thread.join()
    err = capsys.readouterr().out  # the runtime roles' JSON lines go to stdout
    assert "RuntimeError" in err and "ValueError" in err and "Traceback" in err
    assert FNR not in err and "eyJzdWIiOi" not in err


def _record(name: str, msg: str, created: float) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, ("127.0.0.1",), None)
    record.created = created
    return record


def test_repeated_library_lines_are_held_back_and_counted() -> None:
    from adapter.observability.logs import RepeatFilter

    held = RepeatFilter(interval=10.0)
    kept = [
        held.filter(_record("aiokafka", "Unable connect to %s", t / 10))
        for t in range(100)  # 10 s at 10/s
    ]
    assert kept.count(True) == 1
    later = _record("aiokafka", "Unable connect to %s", 10.5)
    assert held.filter(later)
    assert "99 like it in the last 10 s not logged" in later.getMessage()
    # Another template, and the adapter's own lines, are never held back.
    assert held.filter(_record("aiokafka.consumer", "Unable connect to %s", 1.0))
    assert all(held.filter(_record("adapter.lookup", "Unable connect to %s", t / 10)) for t in range(5))
