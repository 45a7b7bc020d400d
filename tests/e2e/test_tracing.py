"""Traces that reach a collector: `nav-adapter lookups` and `nav-adapter bridge`, configured by
the OTEL_* variables alone, export their spans over OTLP/HTTP to a receiver the test runs; a
lookup's spans join the caller's trace, and the lookup's log lines carry its trace and span ids."""

import asyncio
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from opentelemetry import propagate, trace

from devtools.devkeys import DevKeys
from nav_sandbox import PEOPLE
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, wait_for_records
from tests.support.otlp import OtlpReceiver, ReceivedSpan, otlp_receiver
from tests.support.processes import AdapterProcess, assert_no_personal_data
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e


def _otel_env(endpoint: str) -> dict[str, str]:
    # Only standard variables; a short batch delay so the test need not wait 5 s for the export.
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}


async def _spans_until(
    receiver: OtlpReceiver, trace_id: str, names: set[str], timeout: float = 30.0
) -> list[ReceivedSpan]:
    deadline = time.monotonic() + timeout
    while True:
        spans = receiver.in_trace(trace_id)
        if names <= {s.name for s in spans}:
            return spans
        if time.monotonic() > deadline:
            raise AssertionError(f"spans of {trace_id}: {[s.name for s in spans]}, wanted {names}")
        await asyncio.sleep(0.1)


def _json_lines(log: Path) -> list[dict[str, Any]]:
    """Every line the process wrote, each of which must be one JSON object."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(p, dict) for p in parsed)
    return parsed


async def test_a_lookup_and_its_nav_call_are_exported_in_the_callers_trace(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    trace_id, caller_span_id = secrets.token_hex(16), secrets.token_hex(8)
    request_id = str(uuid.uuid4())
    body = {
        "request_id": request_id,
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": PEOPLE[0].ident,
    }
    log = tmp_path / "lookups.log"
    with otlp_receiver() as (receiver, endpoint):
        async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
            env = {**stack.environment(), **_otel_env(endpoint), "ADAPTER_LOG_LEVEL": "DEBUG"}
            adapter = AdapterProcess(env, log)
            adapter.start()
            try:
                await stack.producer.send_and_wait(
                    stack.topic("team-a"),
                    orjson.dumps(body),
                    headers=[("traceparent", f"00-{trace_id}-{caller_span_id}-01".encode())],
                )
                reply = await stack.reply_for(request_id, 60)
                spans = await _spans_until(receiver, trace_id, {"lookup", "nav frikort.brev"})
            finally:
                assert adapter.terminate() == 0
            reply_headers = stack.replies.reply_headers[request_id]

    assert reply["status"] == "ok", reply
    (lookup,) = [s for s in spans if s.name == "lookup"]
    (nav_call,) = [s for s in spans if s.name == "nav frikort.brev"]
    assert lookup.parent_span_id == caller_span_id
    assert lookup.service == "nav-adapter-lookups"
    assert lookup.attributes["messaging.destination.name"] == stack.topic("team-a")
    assert nav_call.parent_span_id == lookup.span_id
    assert nav_call.attributes["nav.call_id"] == request_id
    assert nav_call.attributes["http.response.status_code"] == 200
    for span in spans:
        assert PEOPLE[0].ident not in json.dumps(span.attributes)
    reply_context = propagate.extract({k: v.decode() for k, v in reply_headers.items()})
    assert format(trace.get_current_span(reply_context).get_span_context().trace_id, "032x") == trace_id

    lines = _json_lines(log)
    (answered,) = [line for line in lines if line.get("request_id") == request_id]
    assert answered["operation"] == "frikort.brev" and answered["caller"] == "team-a"
    assert answered["outcome"] == "ok" and answered["level"] == "DEBUG"
    assert answered["trace_id"] == trace_id and answered["span_id"] in {lookup.span_id, nav_call.span_id}
    assert {"@timestamp", "logger_name", "message"} <= answered.keys()
    assert_no_personal_data(log.read_text())


async def test_with_tracing_off_the_callers_trace_still_reaches_the_reply(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    request_id = str(uuid.uuid4())
    body = {
        "request_id": request_id,
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": PEOPLE[0].ident,
    }
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        env = {k: v for k, v in stack.environment().items() if not k.startswith("OTEL_")}
        adapter = AdapterProcess(env, tmp_path / "lookups.log")
        adapter.start()
        try:
            await stack.producer.send_and_wait(
                stack.topic("team-a"), orjson.dumps(body), headers=[("traceparent", traceparent.encode())]
            )
            reply = await stack.reply_for(request_id, 60)
        finally:
            assert adapter.terminate() == 0
        reply_headers = stack.replies.reply_headers[request_id]

    assert reply["status"] == "ok", reply
    assert reply_headers["traceparent"] == traceparent.encode()  # no span of its own: the caller's


async def test_an_altinn_2_consent_token_is_in_no_span_attribute_and_no_log_line(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    trace_id, caller_span_id = secrets.token_hex(16), secrets.token_hex(8)
    request_id = str(uuid.uuid4())
    token = "c2FtdHlra2UtaS1zcGFu"  # base64 "samtykke-i-span"; the log check looks for "c2FtdHlra2U"
    body = {
        "request_id": request_id,
        "operation": "aap.vedtak",
        "scope": "nav:arbeid/v1/aap",
        "ident": PEOPLE[0].ident,
        "consent_token": token,
    }
    log = tmp_path / "lookups.log"
    with otlp_receiver() as (receiver, endpoint):
        async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
            env = {**stack.environment(), **_otel_env(endpoint), "ADAPTER_LOG_LEVEL": "DEBUG"}
            adapter = AdapterProcess(env, log)
            adapter.start()
            try:
                await stack.producer.send_and_wait(
                    stack.topic("team-a"),
                    orjson.dumps(body),
                    headers=[("traceparent", f"00-{trace_id}-{caller_span_id}-01".encode())],
                )
                reply = await stack.reply_for(request_id, 60)
                spans = await _spans_until(receiver, trace_id, {"lookup", "nav aap.vedtak"})
            finally:
                assert adapter.terminate() == 0

    assert reply["status"] == "ok", reply
    for span in spans:
        assert token not in json.dumps(span.attributes)
    assert [line for line in _json_lines(log) if line.get("request_id") == request_id]
    assert_no_personal_data(log.read_text())


async def test_a_bridged_page_and_its_nav_call_are_exported_in_one_trace(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    log = tmp_path / "bridge.log"
    with otlp_receiver() as (receiver, endpoint):
        async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
            bridge = bridge_settings(sandbox, [{"feed": "trygdehendelser", "page_size": 10}])
            (feed,) = bridge.configured_feeds()
            process = BridgeProcess(sandbox, bridge, log, extra_env=_otel_env(endpoint))
            process.start()
            try:
                await wait_for_records(kafka_bootstrap, feed.topic, 10)
                deadline = time.monotonic() + 30
                while not (pages := [s for s in receiver.spans if s.name == f"bridge {feed.id}"]):
                    assert time.monotonic() < deadline, [s.name for s in receiver.spans]
                    await asyncio.sleep(0.1)
                page = pages[0]
                spans = await _spans_until(receiver, page.trace_id, {page.name, f"nav feed {feed.id}"})
            finally:
                assert process.terminate() == 0

    (nav_call,) = [s for s in spans if s.name == f"nav feed {feed.id}"]
    assert page.service == "nav-adapter-bridge"
    assert page.parent_span_id == "" and page.attributes["nav.feed"] == feed.id
    assert page.attributes["nav.feed.start"] == 1 and page.attributes["nav.feed.next"] == 11
    assert nav_call.parent_span_id == page.span_id and nav_call.attributes["nav.call_id"]
    lines = _json_lines(log)
    leased = [line for line in lines if line["message"].startswith("lease acquired")]
    assert leased and leased[0]["feed"] == feed.id
