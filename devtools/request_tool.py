"""Send one lookup request over Kafka and wait for its reply: the caller's side, in a few lines."""

import asyncio
import uuid
from typing import Any

import orjson
from aiokafka import TopicPartition
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from adapter.kafka import clients
from adapter.kafka.topics import partitions_of
from adapter.settings import KafkaSettings
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME


def build_request(operation: str, fields: dict[str, Any]) -> dict[str, Any]:
    op = OPERATIONS_BY_NAME[operation]
    typed = {
        name: _as_field(op.request_model.model_fields.get(name), value) for name, value in fields.items()
    }
    return {"request_id": str(uuid.uuid4()), "operation": op.name, "scope": op.scope, **typed}


def _as_field(field: FieldInfo | None, value: Any) -> Any:
    """Text typed as the request model's field says (`unntak_id=999999` a number, an ident of
    digits a string), since the adapter validates strictly; what does not fit is sent as given,
    for the adapter to answer."""
    if field is None or field.annotation is None or not isinstance(value, str):
        return value
    adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)
    try:
        typed = adapter.dump_python(adapter.validate_python(value), mode="json")
    except ValidationError:
        return value
    # Only numbers and booleans change: text fields (idents, dates, secrets) go as written.
    return value if isinstance(typed, str) else typed


def parse_fields(pairs: list[str]) -> dict[str, Any]:
    """`name=value` pairs. A value that opens a JSON object or array is taken as JSON; anything
    else stays text, typed by `build_request` as the operation's field is."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"expected name=value, got {pair!r}")
        try:
            fields[name] = orjson.loads(raw) if raw.lstrip().startswith(("{", "[")) else raw
        except orjson.JSONDecodeError:
            fields[name] = raw
    return fields


async def request_reply(
    kafka: KafkaSettings,
    request_topic: str,
    reply_topic: str,
    request: dict[str, Any],
    *,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Publish `request` and return the reply whose correlation_id is its request_id."""
    consumer = clients.consumer(kafka, enable_auto_commit=False)
    producer = clients.producer(kafka)
    try:  # started inside: a stop during start-up still closes both
        await consumer.start()
        await producer.start()
        partitions = await partitions_of(consumer, reply_topic) or [TopicPartition(reply_topic, 0)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:  # pin the position before sending, so the reply cannot slip past
            await consumer.position(tp)
        wanted = str(request["request_id"]).encode()
        await producer.send_and_wait(request_topic, orjson.dumps(request), key=wanted)
        async with asyncio.timeout(timeout):
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        if dict(record.headers).get(h.CORRELATION_ID) == wanted:
                            reply: dict[str, Any] = orjson.loads(record.value)
                            return reply
    finally:
        await producer.stop()
        await consumer.stop()
