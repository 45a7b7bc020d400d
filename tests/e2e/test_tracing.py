"""One trace from the caller's request, through the lookup and the NAV call, to the reply."""

import uuid

import orjson
import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from nav_sandbox import PEOPLE
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the global provider can be set once per process
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_the_callers_trace_runs_through_the_nav_call_to_the_reply(
    stack: Stack, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("caller")
    request_id = str(uuid.uuid4())
    with tracer.start_as_current_span("caller asks") as caller_span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    body = {
        "request_id": request_id,
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": PEOPLE[0].ident,
    }
    await stack.producer.send_and_wait(
        stack.topic("team-a"), orjson.dumps(body), headers=[(k, v.encode()) for k, v in carrier.items()]
    )
    reply = await stack.reply_for(request_id)
    assert reply["status"] == "ok"

    trace_id = caller_span.get_span_context().trace_id
    ours = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    nav_calls = [
        s
        for s in ours
        if s.attributes and s.attributes.get("nav.call_id") == request_id and s.name == "nav frikort.brev"
    ]
    assert nav_calls, f"no NAV call span in the caller's trace: {[s.name for s in ours]}"
    assert nav_calls[0].attributes["http.response.status_code"] == 200
    assert any(s.name == "lookup" for s in ours)
    reply_parent = propagate.extract(
        {k: v.decode() for k, v in stack.replies.reply_headers[request_id].items()}
    )
    assert trace.get_current_span(reply_parent).get_span_context().trace_id == trace_id
