"""Bridged records: deterministic keys, values and headers (pure), and publishing a page.

The key is the person's ident, or its HMAC-SHA256 where a secret is configured, so one person's
events stay in one partition and in order; an item without an ident, and a gap record, is keyed
by its sequence number.
"""

import asyncio
import hashlib
import hmac
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from adapter.bridge.continuity import Entry, Gap
from adapter.bridge.feed import ConfiguredFeed
from adapter.lookup.messages import Outgoing
from contracts import headers as h
from contracts.bridged import BridgedEvent, GapRecord


def record_key(ident: str | None, sequence: int, secret: bytes | None) -> bytes:
    if ident is None:
        return str(sequence).encode()
    if secret is not None:
        return hmac.new(secret, ident.encode(), hashlib.sha256).hexdigest().encode()
    return ident.encode()


def to_records(feed: ConfiguredFeed, entries: Sequence[Entry], secret: bytes | None) -> list[Outgoing]:
    out = []
    for entry in entries:
        kind: str
        if isinstance(entry, Gap):
            kind, key = "gap", record_key(None, entry.sequence, None)
            value = GapRecord(
                feed=feed.id,
                sequence=entry.sequence,
                first_missing=entry.first_missing,
                last_missing=entry.last_missing,
                tpnr=feed.tpnr,
            ).model_dump_json()
        else:
            kind, key = "event", record_key(entry.ident, entry.sequence, secret)
            # Every field is already checked (the page was validated against the feed's model):
            # constructing without validating again halves the cost of a record.
            value = BridgedEvent.model_construct(
                feed=feed.id, sequence=entry.sequence, tpnr=feed.tpnr, event=dict(entry.raw)
            ).model_dump_json(exclude_none=True)
        headers = [
            (h.NAV_FEED, feed.id.encode()),
            (h.NAV_SEQUENCE, str(entry.sequence).encode()),
            (h.NAV_RECORD, kind.encode()),
        ]
        out.append(Outgoing(feed.topic, key, value.encode(), headers))
    return out


class Publisher:
    """Writes a page's records and returns once Kafka has acknowledged every one of them.

    A failure is raised, not retried: some records of the page may be written and some not, so
    the bridge must look at its topic again before it publishes anything more.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, records: Sequence[Outgoing]) -> None:
        futures = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers)) for r in records
        ]
        await asyncio.gather(*futures)

    async def flush(self) -> None:
        """Wait for everything already handed to the producer, e.g. before giving up the lease."""
        await self._producer.flush()
