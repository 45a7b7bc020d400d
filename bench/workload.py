"""The requests: several GET operations over the sandbox's synthetic people, all answerable."""

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from contracts.operations import OPERATIONS_BY_NAME
from nav_sandbox import PEOPLE

MIX = ("medlemskapsunntak.search", "frikort.brev", "medlemskapsunntak.get", "aap.vedtak")
CONSENT_TOKEN = "c2FtdHlra2U="  # base64 "samtykke"; the sandbox checks only that one is there
SCOPES = sorted({OPERATIONS_BY_NAME[name].scope for name in MIX})


def make_request(i: int) -> dict[str, Any]:
    """Request number `i` of the mix: operations in turn, people in turn."""
    name = MIX[i % len(MIX)]
    person = PEOPLE[(i // len(MIX)) % len(PEOPLE)]
    fields: dict[str, Any]
    if name == "medlemskapsunntak.get":
        fields = {"unntak_id": person.medlemskapsunntak[0].unntakId}
    elif name == "aap.vedtak":
        fields = {"ident": person.ident, "consent_token": CONSENT_TOKEN}
    else:
        fields = {"ident": person.ident}
    op = OPERATIONS_BY_NAME[name]
    return {"request_id": str(uuid.uuid4()), "operation": op.name, "scope": op.scope, **fields}


def now_ms() -> int:
    return int(time.time() * 1000)


async def preload(
    bootstrap: str,
    topic: str,
    n: int,
    sent: dict[str, int],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Produce `n` requests to `topic`; `sent` gets request_id -> the record's timestamp (ms)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        pending: list[asyncio.Future[Any]] = []
        for i in range(n):
            request = make_request(i)
            ts = now_ms()
            sent[request["request_id"]] = ts
            pending.append(
                await producer.send(
                    topic, orjson.dumps(request), key=request["request_id"].encode(), timestamp_ms=ts
                )
            )
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
                if progress is not None:
                    progress(i + 1)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
