import io
import logging

import pytest

from adapter.observability.logs import RedactingFilter, scrub

FNR = "13097248022"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"lookup for {FNR} failed", FNR),
        (f"GET /x?fnr={FNR}", FNR),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "eyJzdWIiOi"),
        ("NAV-Samtykke-Token: c2FtdHlra2U=", "c2FtdHlra2U="),
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
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "ValueError" in err and "Traceback" in err
    assert FNR not in err and "eyJzdWIiOi" not in err
