"""Bridged records: deterministic keys, values and headers, from a checked page (pure).

The key is the person's ident, or its HMAC-SHA256 where a secret is configured, so one person's
events stay in one partition and in order; an item without an ident, and a gap record, is keyed
by its sequence number.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from adapter.bridge.continuity import Entry, Gap, Renumbered
from adapter.bridge.feed import ConfiguredFeed
from adapter.kafka.keys import person_key
from adapter.kafka.records import Outgoing
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.bridged import GapRecord, RenumberedRecord


def record_key(ident: str | None, sequence: int, secret: bytes | None) -> bytes:
    return str(sequence).encode() if ident is None else person_key(ident, secret)


def to_records(feed: ConfiguredFeed, entries: Sequence[Entry], secret: bytes | None) -> list[Outgoing]:
    out = []
    for entry in entries:
        kind: str
        if isinstance(entry, Renumbered):
            kind, key = "renumbered", record_key(None, entry.sequence, None)
            value = RenumberedRecord(
                feed=feed.id,
                sequence=entry.sequence,
                nav_highest_before=entry.highest_before,
                nav_highest_now=entry.highest_now,
                tpnr=feed.tpnr,
            ).model_dump_json()
        elif isinstance(entry, Gap):
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
            out.append(
                _record(feed, key, _event_value(feed, entry.sequence, entry.raw), entry.sequence, kind)
            )
            continue
        out.append(_record(feed, key, value.encode(), entry.sequence, kind))
    return out


def _event_value(feed: ConfiguredFeed, sequence: int, raw: Mapping[str, Any]) -> bytes:
    """A `BridgedEvent`'s JSON, byte for byte as `model_dump_json(exclude_none=True)` writes it.

    Every field is checked already (the page was validated against the feed's model), so the
    value is written straight from NAV's parsed item: pydantic's model and serialiser were a
    quarter of the bridge's time per event."""
    value: dict[str, Any] = {"kind": "event", "feed": feed.id, "sequence": sequence}
    if feed.tpnr is not None:
        value["tpnr"] = feed.tpnr
    value["event"] = raw
    return orjson.dumps(value)


def _record(feed: ConfiguredFeed, key: bytes, value: bytes, sequence: int, kind: str) -> Outgoing:
    headers = [
        (h.NAV_FEED, feed.id.encode()),
        (h.NAV_SEQUENCE, b"%d" % sequence),
        (h.NAV_RECORD, kind.encode()),
    ]
    return Outgoing(feed.topic, key, value, headers)
