"""OpenTelemetry: a span per lookup and per NAV call, joined to the caller's trace.

FastStream's middleware opens the consume span; the lookup itself runs after the handler has
returned (lookups are concurrent), so its span takes the handler's context as parent explicitly.
The NAV call span carries `nav.call_id` (= request id = Nav-Call-Id), and the reply carries
`traceparent`, so a caller can follow one request from its topic to its reply.
Export is configured by the standard OTEL_* variables; without OTEL_EXPORTER_OTLP_ENDPOINT
spans are made but not sent.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.trace import Span, SpanKind

TRACER = trace.get_tracer("nav-kafka-adapter")


def configure_tracing(endpoint: str | None, service_name: str = "nav-kafka-adapter") -> None:
    """Install an OTLP exporter when an endpoint is configured; otherwise leave tracing off."""
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def current_context() -> context.Context:
    return context.get_current()


@contextmanager
def lookup_span(parent: context.Context, topic: str, partition: int, offset: int) -> Iterator[Span]:
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
    with TRACER.start_as_current_span(
        f"nav {operation}",
        kind=SpanKind.CLIENT,
        attributes={"nav.api": api, "nav.operation": operation, "nav.call_id": call_id},
    ) as span:
        yield span


def trace_headers() -> Sequence[tuple[str, bytes]]:
    """The current trace context as Kafka headers (W3C traceparent/tracestate)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(key, value.encode()) for key, value in carrier.items()]


def annotate(**attributes: str) -> None:
    trace.get_current_span().set_attributes(attributes)
