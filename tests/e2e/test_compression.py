"""Requests compressed as JVM producers compress them are answered; the adapter's own records are
compressed as `KAFKA_COMPRESSION` says."""

import uuid
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from adapter.kafka import clients
from nav_sandbox import PEOPLE
from tests.support.processes import AdapterProcess
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e

CODECS = ("gzip", "lz4", "snappy", "zstd")


def _request() -> dict[str, str]:
    return {
        "request_id": str(uuid.uuid4()),
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": PEOPLE[0].ident,
    }


@pytest.mark.parametrize("codec", CODECS)
async def test_a_compressed_request_is_answered(stack: Stack, codec: str) -> None:
    # A caller's own producer, on the adapter's connection.
    producer = AIOKafkaProducer(**clients.connection(stack.kafka), compression_type=codec)
    await producer.start()
    try:
        request = _request()
        await producer.send_and_wait(stack.topic("team-a"), orjson.dumps(request))
    finally:
        await producer.stop()
    reply = await stack.reply_for(request["request_id"], 30)
    assert reply["status"] == "ok", reply


async def test_the_adapter_writes_compressed_records(kafka_bootstrap: str, tmp_path: Path) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess({**stack.environment(), "KAFKA_COMPRESSION": "zstd"}, tmp_path / "a.log")
        adapter.start()
        try:
            request = _request()
            await stack.send_raw("team-a", orjson.dumps(request))
            reply = await stack.reply_for(request["request_id"], 60)
        finally:
            assert adapter.terminate() == 0
        assert reply["status"] == "ok", reply
