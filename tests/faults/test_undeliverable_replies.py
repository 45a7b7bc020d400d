"""Replies that cannot be delivered never stop a partition, nor the other callers: through the
running `nav-adapter lookups` process, a flood of crafted reply_to addresses and a reply_to naming
a topic that does not exist where Kafka creates none."""

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from devtools.apache_kafka import ApacheKafka, apache_kafka_available
from nav_lookup_contracts import ErrorCode
from nav_lookup_contracts import headers as h
from nav_sandbox import PEOPLE
from tests.support.processes import AdapterProcess
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e

POISON = 300
VALID = 50


def _frikort(**extra: Any) -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": PEOPLE[0].ident,
        **extra,
    }


def _search() -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "operation": "medlemskapsunntak.search",
        "scope": "nav:helse/v1/medlemskapsunntak",
        "ident": PEOPLE[0].ident,
    }


async def test_three_hundred_crafted_reply_tos_stop_no_other_caller(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        crafted = [".", "..", "." * 300, "__consumer_offsets", "-" * 249 + "x"]
        poison = [_frikort(reply_to=crafted[i % len(crafted)]) for i in range(POISON)]
        for body in poison:
            await stack.send_raw("team-a", orjson.dumps(body), key=b"one-key")
        valid = [_search() for _ in range(VALID)]
        for body in valid:
            await stack.send_raw("team-limited", orjson.dumps(body), key=body["request_id"].encode())
        try:
            for body in valid:
                assert (await stack.reply_for(body["request_id"], timeout=120))["status"] == "ok"
            for body in poison:
                reply = await stack.reply_for(body["request_id"], timeout=60)
                assert reply["error"]["code"] == ErrorCode.INVALID_REQUEST
                assert stack.replies.reply_topic[body["request_id"]] == stack.reply_topic("team-a")
            assert stack.replies.dead_letters == []
        finally:
            started = time.monotonic()
            assert adapter.terminate(timeout=45) == 0
        print(f"\nstopped {time.monotonic() - started:.1f}s after SIGTERM")

        # Sent while it is down: a restart answers them, and the poison is not met again.
        later = [_search() for _ in range(10)]
        for body in later:
            await stack.send_raw("team-limited", orjson.dumps(body), key=body["request_id"].encode())
        adapter.start()
        try:
            for body in later:
                assert (await stack.reply_for(body["request_id"], timeout=120))["status"] == "ok"
        finally:
            assert adapter.terminate() == 0


@pytest.fixture(scope="module")
def strict_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A broker that creates no topic on its own, as production brokers are set up."""
    if os.environ.get("TEST_KAFKA") == "tansu" or not apache_kafka_available():
        pytest.skip("needs Apache Kafka's jars and java (make kafka-jars)")
    folder = tmp_path_factory.mktemp("strict-kafka")
    with ApacheKafka(folder, {"auto.create.topics.enable": "false"}) as kafka:
        yield kafka.bootstrap_servers


METADATA_WAIT_MS = 15_000
"""The process's KAFKA_REQUEST_TIMEOUT_MS, which is how long aiokafka waits for a missing topic's
metadata before the refusal: below the 40 s default so that each wait costs the test less."""


async def _dead_letters_of(stack: Stack, count: int, timeout: float) -> list[dict[str, bytes]]:
    await stack.wait_for(lambda: len(stack.replies.dead_letters) >= count, timeout)
    return [headers for _, headers in stack.replies.dead_letters]


async def test_a_reply_to_a_topic_that_does_not_exist_is_a_dead_letter_and_the_partition_goes_on(
    strict_kafka: str, tmp_path: Path
) -> None:
    async with open_stack(strict_kafka, tmp_path, in_process_adapter=False) as stack:
        env = {**stack.environment(), "KAFKA_REQUEST_TIMEOUT_MS": str(METADATA_WAIT_MS)}
        adapter = AdapterProcess(env, tmp_path / "adapter.log")
        adapter.start()
        missing = stack.own_topic("team-a", "not-created")  # on team-a's list, but no such topic
        try:
            first = _frikort(reply_to=missing)
            await stack.send_raw("team-a", orjson.dumps(first), key=b"k")
            after = _frikort()
            await stack.send_raw("team-a", orjson.dumps(after), key=b"k")  # same key: same partition
            [headers] = await _dead_letters_of(stack, 1, timeout=150)
            assert b"UnknownTopicOrPartitionError" in headers[h.DLQ_REASON]
            assert headers[h.DLQ_SOURCE_TOPIC] == stack.topic("team-a").encode()
            assert (await stack.reply_for(after["request_id"], timeout=60))["status"] == "ok"
            assert first["request_id"] not in stack.replies.by_request_id

            # More replies to the same missing topic cost no new wait each: all dead letters soon.
            flood = [_frikort(reply_to=missing) for _ in range(50)]
            for body in flood:
                await stack.send_raw("team-a", orjson.dumps(body), key=b"k")
            last = _frikort()
            await stack.send_raw("team-a", orjson.dumps(last), key=b"k")
            await _dead_letters_of(stack, 51, timeout=90)
            assert (await stack.reply_for(last["request_id"], timeout=60))["status"] == "ok"
        finally:
            assert adapter.terminate() == 0
        # The partition's commits went past the dead letters: a restart meets none of them again.
        adapter.start()
        try:
            again = _frikort()
            await stack.send_raw("team-a", orjson.dumps(again), key=b"k")
            assert (await stack.reply_for(again["request_id"], timeout=120))["status"] == "ok"
            await asyncio.sleep(2)
            assert len(stack.replies.dead_letters) == 51
        finally:
            assert adapter.terminate() == 0
