"""Without an exporter no span is made, yet the caller's trace context still reaches the reply."""

import pytest
from opentelemetry import baggage, context, trace

from adapter.observability import tracing

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def test_the_callers_traceparent_reaches_the_reply_headers_with_tracing_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracing, "_recording", lambda: False)
    with tracing.lookup_span(context.Context(), [("traceparent", TRACEPARENT.encode())], "t", 0, 1) as span:
        assert span is trace.INVALID_SPAN
        with tracing.nav_call_span("api", "op", "call-1") as call:
            assert call is trace.INVALID_SPAN
            headers = dict(tracing.trace_headers())
    assert headers["traceparent"] == TRACEPARENT.encode()
    assert dict(tracing.trace_headers()) == {}  # the request's context is current only inside


def test_baggage_alone_is_still_carried_on() -> None:
    token = context.attach(baggage.set_baggage("tenant", "t-1"))
    try:
        assert dict(tracing.trace_headers()) == {"baggage": b"tenant=t-1"}
    finally:
        context.detach(token)
