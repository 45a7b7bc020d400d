"""Replay for operators: a range of a topic copied with filters, a dry run, and the dead-letter
topic re-driven into the request topic of a running adapter."""

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from adapter.kafka.topics import ensure_topics
from adapter.replay.commands import add_range_and_filters, redrive, replay
from adapter.settings import KafkaSettings
from nav_lookup_contracts import headers as h
from nav_sandbox import PEOPLE
from tests.support.bridge import read_topic
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e


def _args(*argv: str) -> argparse.Namespace:
    """The operator's command line, parsed as `nav-adapter` parses it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("source", nargs="?")
    parser.add_argument("target", nargs="?")
    parser.add_argument("--dlq")
    parser.add_argument("--to")
    add_range_and_filters(parser)
    return parser.parse_args(argv)


async def _fill(bootstrap: str, topic: str, start: int, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = []
        for i in range(start, start + count):
            operation = "aap.vedtak" if i % 3 == 0 else "frikort.brev"
            value: dict[str, Any] = {"n": i}
            headers = [("team", b"a" if i % 2 else b"b")]
            if i % 2:  # half say their operation in a header, half in the JSON value
                headers.append((h.OPERATION, operation.encode()))
            else:
                value["operation"] = operation
            futures.append(
                await producer.send(topic, orjson.dumps(value), key=f"k{i % 4}".encode(), headers=headers)
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def _numbers(records: list[Any]) -> list[int]:
    return sorted(orjson.loads(r.value)["n"] for r in records)


async def test_replay_by_offset_time_key_header_and_operation(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    source = f"test-{run}.source"
    await ensure_topics(KafkaSettings(bootstrap_servers=kafka_bootstrap), [source], partitions=2)
    await _fill(kafka_bootstrap, source, 0, 24)
    await asyncio.sleep(0.05)
    middle = datetime.now(UTC)
    await asyncio.sleep(0.05)
    await _fill(kafka_bootstrap, source, 24, 6)

    async def copy(*argv: str) -> list[int]:
        target = f"test-{run}.{uuid.uuid4().hex[:6]}"
        # As many partitions as the source, so a key lands where it came from on any broker.
        await ensure_topics(KafkaSettings(bootstrap_servers=kafka_bootstrap), [target], partitions=2)
        await replay(KafkaSettings(bootstrap_servers=kafka_bootstrap), _args(source, target, *argv))
        records = await read_topic(kafka_bootstrap, target)
        originals = {(r.key, r.value) for r in await read_topic(kafka_bootstrap, source)}
        for record in records:
            assert (record.key, record.value) in originals
            topic, partition, offset = record.headers[h.REPLAYED].decode().rsplit("/", 2)
            assert topic == source and int(partition) == record.partition and int(offset) >= 0
        return _numbers(records)

    assert await copy() == list(range(30))
    assert await copy("--key", "k1") == list(range(1, 30, 4))
    assert await copy("--header", "team=a") == list(range(1, 30, 2))
    assert await copy("--operation", "aap.vedtak") == list(range(0, 30, 3))
    assert await copy("--from-time", middle.isoformat()) == list(range(24, 30))
    assert await copy("--to-time", middle.isoformat(), "--operation", "aap.vedtak") == list(range(0, 24, 3))
    by_offset = await copy("--from-offset", "2", "--to-offset", "4", "--partition", "0")
    assert len(by_offset) == 2

    # The command line itself, as an operator runs it: a dry run counts and writes nothing.
    target = f"test-{run}.dry"
    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "adapter", "replay", source, target, "--operation", "aap.vedtak"),
        *("--dry-run", "--bootstrap-servers", kafka_bootstrap),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(command.communicate(), 60)
    shown = out.decode()
    assert command.returncode == 0
    assert "scanned 30 of 30, matched 10" in shown and f"would copy 10 to {target}" in shown
    assert await read_topic(kafka_bootstrap, target) == []


@pytest.mark.tansu_smoke
async def test_redrive_the_dead_letter_topic_into_the_request_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, kafka_session_timeout_ms=1000) as stack:
        request_id = str(uuid.uuid4())
        request = {
            "request_id": request_id,
            "operation": "frikort.brev",
            "scope": "nav:helserefusjon/v1/frikort",
            "ident": PEOPLE[0].ident,
        }
        # As the adapter dead-letters a message: its bytes and headers, plus where it came from.
        dead = [
            ("caller-header", b"kept"),
            (h.DLQ_REASON, b"NAV was down for too long"),
            (h.DLQ_SOURCE_TOPIC, stack.topic("team-a").encode()),
            (h.DLQ_SOURCE_PARTITION, b"0"),
            (h.DLQ_SOURCE_OFFSET, b"17"),
        ]
        dlq = stack.settings.dead_letter_topic
        await stack.producer.send_and_wait(dlq, orjson.dumps(request), key=request_id.encode(), headers=dead)

        assert await redrive(stack.kafka, dlq, _args("--key", request_id, "--dry-run")) == 0
        await asyncio.sleep(1.0)
        assert request_id not in stack.replies.by_request_id

        assert await redrive(stack.kafka, dlq, _args("--key", request_id)) == 0
        reply = await stack.reply_for(request_id)
        assert reply["request_id"] == request_id and reply["status"] == "ok"
        (redriven,) = [
            r
            for r in await read_topic(kafka_bootstrap, stack.topic("team-a"))
            if r.key == request_id.encode()
        ]
        assert not any(name.startswith("dlq-") for name in redriven.headers)
        assert redriven.headers["caller-header"] == b"kept" and h.REPLAYED in redriven.headers

        # Replaying the request again gets the same answer, with the same request id.
        source = stack.topic("team-a")
        await replay(
            KafkaSettings(bootstrap_servers=kafka_bootstrap), _args(source, source, "--key", request_id)
        )
        await stack.wait_for(lambda: stack.replies.reply_count[request_id] >= 2)
        assert stack.replies.by_request_id[request_id] == reply


async def _command(*argv: str) -> tuple[int | None, str]:
    """`nav-adapter ARGV` as an operator runs it; a hang fails the test instead of stalling it."""
    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "adapter", *argv), stdout=asyncio.subprocess.PIPE
    )
    try:
        out, _ = await asyncio.wait_for(command.communicate(), 60)
    except TimeoutError:
        command.kill()
        await command.wait()
        raise AssertionError(f"nav-adapter {argv[0]} did not end within 60 s") from None
    return command.returncode, out.decode()


async def test_replay_and_redrive_of_an_empty_topic_end_at_once_and_say_so(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    dlq, source, half = f"test-{run}.dlq", f"test-{run}.source", f"test-{run}.half"
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    await ensure_topics(kafka, [dlq, source, half], partitions=2)
    connect = ("--bootstrap-servers", kafka_bootstrap)

    for argv in (
        ("redrive-dlq", "--dlq", dlq, "--dry-run"),
        ("redrive-dlq", "--dlq", dlq),
        ("replay", source, f"test-{run}.target", "--dry-run"),
        ("replay", source, f"test-{run}.target"),
    ):
        code, shown = await _command(*argv, *connect)
        assert code == 0, shown
        assert "scanned 0 of 0, matched 0" in shown and "holds no records in the range" in shown
        assert "would copy" not in shown and "copied" not in shown

    # One partition holds records and the other none: the empty one does not hold the copy up.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(half, orjson.dumps({"n": n}), partition=0)
    finally:
        await producer.stop()
    code, shown = await _command("replay", half, f"test-{run}.copy", "--dry-run", *connect)
    assert code == 0, shown
    assert "scanned 3 of 3, matched 3" in shown and f"would copy 3 to test-{run}.copy" in shown
