"""The AsyncAPI 3.0 document of every channel the adapter reads and writes, built from the tables
in `contracts` (operations, feeds, schemas, headers, topics) and the process's settings.

Each operation's reply is typed by its NAV model (a `oneOf` keyed by `operation`); the payload
schemas are the published JSON Schemas, embedded whole with their `$id`, so the document stands
alone. FastStream's generator is not used: it describes a subscriber of raw
bytes (the lookups must see garbage too) and knows nothing of the bridge, the channel parameters
or the request/reply pairing.
"""

from typing import Any

from adapter.asyncapi import examples
from adapter.asyncapi.servers import SECURITY_SCHEMES, all_servers, configured_server
from adapter.settings import BridgeSettings, KafkaSettings, LookupSettings
from nav_lookup_contracts import headers as h
from nav_lookup_contracts import topics
from nav_lookup_contracts.operations import OPERATIONS
from nav_lookup_contracts.schema import all_schemas

_TEXT = {"type": "string"}


def _ref(path: str) -> dict[str, str]:
    return {"$ref": path}


def _asyncapi_schema(node: Any) -> Any:
    """AsyncAPI's Schema Object names the discriminating property; pydantic writes OpenAPI's
    `{"propertyName": ..., "mapping": ...}`."""
    if isinstance(node, dict):
        return {
            k: (v["propertyName"] if k == "discriminator" and isinstance(v, dict) else _asyncapi_schema(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_asyncapi_schema(v) for v in node]
    return node


def _headers(
    required: dict[str, str], optional: dict[str, str] | None = None, *, more: bool = False
) -> dict[str, Any]:
    properties = {name: {"type": "string", "description": text} for name, text in required.items()}
    properties.update({n: {"type": "string", "description": t} for n, t in (optional or {}).items()})
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(required),
        "additionalProperties": _TEXT if more else True,
    }


def _schemas() -> dict[str, Any]:
    published = {name.removesuffix(".json"): schema for name, schema in all_schemas().items()}
    schemas = {name: _asyncapi_schema(s) for name, s in published.items() if not name.startswith("result.")}
    schemas["lookup-ok-reply"] = {
        "title": "OkReply",
        "description": "An ok reply; `result` is the NAV model of the reply's `operation`.",
        "type": "object",
        "properties": {"operation": {"type": "string", "enum": [op.name for op in OPERATIONS]}},
        "required": ["operation"],
        "discriminator": "operation",
        "oneOf": [_ref(f"#/components/schemas/reply.{op.name}") for op in OPERATIONS],
    }
    schemas["dead-letter-value"] = {
        "title": "DeadLetterValue",
        "description": "The original record's value, byte for byte: whatever the request topic got.",
        "type": "string",
    }
    return schemas


def _messages() -> dict[str, Any]:
    reply_headers = _headers(
        {
            h.CORRELATION_ID: "The request's request_id.",
            h.OPERATION: "The operation, or empty when the request named none the adapter knows.",
            "content-type": "application/json",
        },
        {"traceparent": "W3C trace context, where tracing is on."},
    )
    correlation = {"location": f"$message.header#/{h.CORRELATION_ID}"}
    request = {
        "name": "LookupRequest",
        "title": "Lookup request",
        "summary": "One lookup; `operation` says which, and which fields it takes.",
        "contentType": "application/json",
        "headers": _headers({}, {"traceparent": "W3C trace context, carried on to the NAV call."}),
        "payload": _ref("#/components/schemas/lookup-request"),
        "bindings": {"kafka": {"key": {"type": "string", "description": "Any; request_id is a good one."}}},
        "examples": [{"name": op.name, "payload": examples.request_example(op.name)} for op in OPERATIONS],
    }
    ok = {
        "name": "LookupOkReply",
        "title": "Lookup reply: ok",
        "contentType": "application/json",
        "correlationId": correlation,
        "headers": reply_headers,
        "payload": _ref("#/components/schemas/lookup-ok-reply"),
        "examples": [
            {
                "name": op.name,
                "headers": {
                    h.CORRELATION_ID: examples.REQUEST_ID,
                    h.OPERATION: op.name,
                    "content-type": "application/json",
                },
                "payload": examples.reply_example(op.name),
            }
            for op in OPERATIONS
        ],
    }
    error = {
        "name": "LookupErrorReply",
        "title": "Lookup reply: error",
        "summary": "`error.code` says what the caller may do; `retryable` whether the same request "
        "may succeed later.",
        "contentType": "application/json",
        "correlationId": correlation,
        "headers": reply_headers,
        "payload": _ref("#/components/schemas/error-reply"),
        "examples": [
            {
                "name": code.value,
                "headers": {
                    h.CORRELATION_ID: examples.REQUEST_ID,
                    h.OPERATION: name,
                    "content-type": "application/json",
                },
                "payload": examples.error_example(name, code, text, status),
            }
            for name, code, text, status in examples.ERROR_EXAMPLES
        ],
    }
    retry = {
        **request,
        "name": "LookupRetry",
        "title": "Lookup request, delayed",
        "summary": "A request moved aside while NAV is unavailable, with the caller's request topic.",
        "headers": _headers(
            {
                h.RETRY_ATTEMPT: "How many delays the request has had (decimal).",
                h.RETRY_SOURCE_TOPIC: "The caller's request topic: the caller's identity.",
                h.RETRY_NOT_BEFORE: "Unix time (seconds, decimal) before which it is not tried again.",
            },
            more=True,
        ),
        "examples": [
            {
                "name": "medlemskapsunntak.search",
                "headers": {
                    h.RETRY_ATTEMPT: "1",
                    h.RETRY_SOURCE_TOPIC: topics.request_topic("team-a"),
                    h.RETRY_NOT_BEFORE: "1767607205.000",
                },
                "payload": examples.request_example("medlemskapsunntak.search"),
            }
        ],
    }
    dead_letter = {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record that could not be answered: its original key, value and headers, and why.",
        "contentType": "application/octet-stream",
        "headers": _headers(
            {
                h.DLQ_REASON: "Why: e.g. not JSON, or no usable reply address.",
                h.DLQ_SOURCE_TOPIC: "The topic the record was read from.",
                h.DLQ_SOURCE_PARTITION: "Its partition (decimal).",
                h.DLQ_SOURCE_OFFSET: "Its offset (decimal).",
            },
            more=True,
        ),
        "payload": _ref("#/components/schemas/dead-letter-value"),
        "examples": [
            {
                "name": "not-json",
                "headers": {
                    h.DLQ_REASON: "not a JSON object",
                    h.DLQ_SOURCE_TOPIC: topics.request_topic("team-a"),
                    h.DLQ_SOURCE_PARTITION: "0",
                    h.DLQ_SOURCE_OFFSET: "42",
                },
                "payload": "hello",
            }
        ],
    }
    audit = {
        "name": "AuditRecord",
        "title": "Audit record",
        "contentType": "application/json",
        "payload": _ref("#/components/schemas/audit-record"),
        "examples": [{"name": "ok", "payload": examples.audit_example()}],
    }
    bridged_headers = _headers(
        {
            h.NAV_FEED: "The feed id.",
            h.NAV_SEQUENCE: "The sequence number (decimal).",
            h.NAV_RECORD: "`event` or `gap`.",
        }
    )
    event, gap = examples.bridged_examples()
    bridged_event = {
        "name": "BridgedEvent",
        "title": "Bridged NAV event",
        "summary": "NAV's item as NAV served it, with the feed id and sequence number.",
        "contentType": "application/json",
        "headers": bridged_headers,
        "payload": _ref("#/components/schemas/bridged-record/$defs/BridgedEvent"),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The person's ident, else the sequence number."}
            }
        },
        "examples": [
            {
                "name": "event",
                "headers": {h.NAV_FEED: "trygdehendelser", h.NAV_SEQUENCE: "1042", h.NAV_RECORD: "event"},
                "payload": event,
            }
        ],
    }
    gap_record = {
        "name": "GapRecord",
        "title": "Gap in a feed's numbers",
        "summary": "Numbers NAV skipped, written under the `gap-record` continuity policy.",
        "contentType": "application/json",
        "headers": bridged_headers,
        "payload": _ref("#/components/schemas/bridged-record/$defs/GapRecord"),
        "examples": [
            {
                "name": "gap",
                "headers": {h.NAV_FEED: "trygdehendelser", h.NAV_SEQUENCE: "1045", h.NAV_RECORD: "gap"},
                "payload": gap,
            }
        ],
    }
    checkpoint = {
        "name": "BridgeCheckpoint",
        "title": "Bridge checkpoint",
        "contentType": "application/json",
        "payload": _ref("#/components/schemas/bridge-checkpoint"),
        "bindings": {"kafka": {"key": {"type": "string", "description": "The feed id."}}},
        "examples": [{"name": "checkpoint", "payload": examples.checkpoint_example()}],
    }
    return {
        "lookupRequest": request,
        "lookupOkReply": ok,
        "lookupErrorReply": error,
        "lookupRetry": retry,
        "deadLetter": dead_letter,
        "auditRecord": audit,
        "bridgedEvent": bridged_event,
        "gapRecord": gap_record,
        "bridgeCheckpoint": checkpoint,
    }


def _channel(address: str, description: str, messages: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {m: _ref(f"#/components/messages/{m}") for m in messages},
        **extra,
    }


def _channels(settings: LookupSettings, bridge: BridgeSettings) -> dict[str, Any]:
    caller = {
        "caller": {
            "description": "The caller's name, as the adapter's ADAPTER_CALLERS lists it.",
            "examples": ["team-a"],
        }
    }
    attempts = [str(i) for i in range(1, len(settings.retry_delays_seconds) + 1)]
    return {
        "lookupRequests": _channel(
            settings.request_topic_prefix + "{caller}",
            "A caller's lookup requests: only that caller may write here (Kafka ACLs).",
            ["lookupRequest"],
            parameters=caller,
        ),
        "lookupReplies": _channel(
            settings.reply_topic_of("{caller}"),
            "A caller's replies, one per request, unless its request names an allowed `reply_to`; "
            "the header correlation_id is the request_id.",
            ["lookupOkReply", "lookupErrorReply"],
            parameters=caller,
        ),
        "lookupRetries": _channel(
            settings.retry_topic_prefix + "{attempt}",
            "The adapter's own delayed retries; no caller reads or writes them.",
            ["lookupRetry"],
            parameters={"attempt": {"description": "The retry's number.", "enum": attempts}},
        ),
        "lookupDeadLetters": _channel(
            settings.dead_letter_topic,
            "What could not be answered, kept with its original bytes; `nav-adapter redrive` sends it back.",
            ["deadLetter"],
        ),
        "lookupAudit": _channel(settings.audit_topic, "One record per lookup outcome.", ["auditRecord"]),
        "bridgeEvents": _channel(
            topics.EVENTS_TOPIC_PREFIX + "{feed}",
            "A NAV feed's events in NAV's order, no gap and no duplicate; gap records where NAV "
            "skipped numbers.",
            ["bridgedEvent", "gapRecord"],
            parameters={
                "feed": {
                    "description": "The feed id: the feed's name, and for samordning feeds `.<tpnr>`.",
                    "examples": ["trygdehendelser", "samordning.vedtak.3010"],
                }
            },
        ),
        "bridgeCheckpoints": _channel(
            bridge.checkpoint_topic,
            "How far each feed is published, keyed by feed id.",
            ["bridgeCheckpoint"],
            bindings={
                "kafka": {
                    "partitions": 1,
                    "topicConfiguration": {"cleanup.policy": ["compact"]},
                    "bindingVersion": "0.5.0",
                }
            },
        ),
    }


def _operation(action: str, channel: str, messages: list[str], summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "channel": _ref(f"#/channels/{channel}"),
        "summary": summary,
        "messages": [_ref(f"#/channels/{channel}/messages/{m}") for m in messages],
        **extra,
    }


def _operations() -> dict[str, Any]:
    return {
        "answerLookup": _operation(
            "receive",
            "lookupRequests",
            ["lookupRequest"],
            "Answer a caller's lookup with one reply.",
            reply={
                "address": {
                    "location": "$message.payload#/reply_to",
                    "description": "`reply_to` where the caller's configuration allows it, else the "
                    "caller's reply topic.",
                },
                "channel": _ref("#/channels/lookupReplies"),
                "messages": [
                    _ref("#/channels/lookupReplies/messages/lookupOkReply"),
                    _ref("#/channels/lookupReplies/messages/lookupErrorReply"),
                ],
            },
        ),
        "delayRetry": _operation(
            "send", "lookupRetries", ["lookupRetry"], "Move a request aside while NAV is unavailable."
        ),
        "takeRetry": _operation(
            "receive", "lookupRetries", ["lookupRetry"], "Try a delayed request again when due."
        ),
        "keepDeadLetter": _operation(
            "send", "lookupDeadLetters", ["deadLetter"], "Keep what could not be answered."
        ),
        "writeAudit": _operation("send", "lookupAudit", ["auditRecord"], "Record every lookup's outcome."),
        "bridgeFeed": _operation(
            "send", "bridgeEvents", ["bridgedEvent", "gapRecord"], "Publish a NAV feed's events in order."
        ),
        "writeCheckpoint": _operation(
            "send", "bridgeCheckpoints", ["bridgeCheckpoint"], "Record how far a feed is published."
        ),
        "readCheckpoint": _operation(
            "receive", "bridgeCheckpoints", ["bridgeCheckpoint"], "Find where to resume a feed on start."
        ),
    }


def asyncapi_document(
    kafka: KafkaSettings | None = None,
    settings: LookupSettings | None = None,
    bridge: BridgeSettings | None = None,
) -> dict[str, Any]:
    """The whole document; without settings, the defaults (the committed document), never the
    environment."""
    settings = settings or LookupSettings.model_construct()
    bridge = bridge or BridgeSettings.model_construct()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "NAV Kafka adapter",
            "version": "1",
            "description": "Lookups against NAV's external APIs over Kafka, and NAV's event feeds "
            "bridged onto Kafka.",
        },
        "defaultContentType": "application/json",
        "servers": configured_server(kafka) if kafka is not None else all_servers(),
        "channels": _channels(settings, bridge),
        "operations": _operations(),
        "components": {
            "schemas": _schemas(),
            "messages": _messages(),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
