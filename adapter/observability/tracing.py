"""OpenTelemetry: a span per lookup and per NAV call, joined to the caller's trace; a span per
bridged page, with its NAV call inside.

FastStream's middleware opens a span per batch; each lookup runs after the handler has returned
(lookups are concurrent), so its span takes the request's own `traceparent` as parent, or the
batch span where the request carries none.
The NAV call span carries `nav.call_id` (= request id = Nav-Call-Id), and the reply carries
`traceparent`, so a caller can follow one request from its topic to its reply.
Every role calls `configure_tracing` at start; export is configured by the standard OTEL_*
variables. Without OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) no span is
made (OpenTelemetry's no-op spans cost about 5 % of a lookup's CPU): the request's own
trace context is still made current, so the reply carries the caller's `traceparent` on.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import baggage, context, propagate, trace
from opentelemetry.trace import Span, SpanKind

from adapter.settings import TracingSettings

TRACER = trace.get_tracer("nav-kafka-adapter")


def configure_tracing(settings: TracingSettings, role: str) -> None:
    """Install the SDK with an OTLP/HTTP exporter when the OTEL_* variables ask for export;
    otherwise leave tracing off. Spans still queued at exit are flushed by the SDK's atexit hook."""
    if not settings.exports():
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Given attributes win over OTEL_RESOURCE_ATTRIBUTES: pass the name only when none is set.
    named = {} if settings.otel_service_name else {SERVICE_NAME: f"nav-adapter-{role}"}
    provider = TracerProvider(resource=Resource.create(named))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def _recording() -> bool:
    # Until an SDK provider is installed, the global provider is OpenTelemetry's proxy.
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def current_context() -> context.Context:
    return context.get_current()


def _record_context(headers: Sequence[tuple[str, bytes]], fallback: context.Context) -> context.Context:
    """The trace the request's own headers carry; FastStream's batch span when they carry none."""
    carrier = {
        key: value.decode("utf-8", "replace")
        for key, value in headers
        if key in ("traceparent", "tracestate")
    }
    return propagate.extract(carrier, context=fallback) if carrier else fallback


@contextmanager
def lookup_span(
    fallback: context.Context, headers: Sequence[tuple[str, bytes]], topic: str, partition: int, offset: int
) -> Iterator[Span]:
    parent = _record_context(headers, fallback)
    if not _recording():
        token = context.attach(parent)
        try:
            yield trace.INVALID_SPAN
        finally:
            context.detach(token)
        return
    with TRACER.start_as_current_span(
        "lookup",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.kafka.destination.partition": partition,
            "messaging.kafka.message.offset": offset,
        },
    ) as span:
        yield span


@contextmanager
def nav_call_span(api: str, operation: str, call_id: str) -> Iterator[Span]:
    if not _recording():
        yield trace.INVALID_SPAN
        return
    with TRACER.start_as_current_span(
        f"nav {operation}",
        kind=SpanKind.CLIENT,
        attributes={"nav.api": api, "nav.operation": operation, "nav.call_id": call_id},
    ) as span:
        yield span


@contextmanager
def page_span(feed: str, start: int) -> Iterator[Span]:
    """One bridged page: its NAV call, its records and its checkpoint; a trace of its own."""
    if not _recording():
        yield trace.INVALID_SPAN
        return
    with TRACER.start_as_current_span(
        f"bridge {feed}",
        context=context.Context(),
        kind=SpanKind.PRODUCER,
        attributes={"nav.feed": feed, "nav.feed.start": start},
    ) as span:
        yield span


def trace_headers() -> Sequence[tuple[str, bytes]]:
    """The current trace context as Kafka headers (W3C traceparent/tracestate)."""
    if not trace.get_current_span().get_span_context().is_valid and not baggage.get_all():
        return []  # nothing any propagator would write; the usual case with tracing off
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(key, value.encode()) for key, value in carrier.items()]


def annotate(**attributes: str) -> None:
    trace.get_current_span().set_attributes(attributes)
