"""What a reply carries on of the current trace context."""

from opentelemetry import baggage, context

from adapter.observability import tracing


def test_baggage_alone_is_still_carried_on() -> None:
    token = context.attach(baggage.set_baggage("tenant", "t-1"))
    try:
        assert dict(tracing.trace_headers()) == {"baggage": b"tenant=t-1"}
    finally:
        context.detach(token)


def test_nothing_to_carry_builds_no_header() -> None:
    assert dict(tracing.trace_headers()) == {}
