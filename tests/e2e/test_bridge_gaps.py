"""A gap in NAV's sequence numbers, under both continuity policies."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from adapter.bridge.commands import reset_checkpoint
from devtools.devkeys import DevKeys
from nav_lookup_contracts.bridged import GapRecord
from tests.support.bridge import (
    bridge_in_process,
    bridge_metric,
    bridge_settings,
    feed_sandbox,
    read_topic,
    wait_for_records,
)

pytestmark = pytest.mark.e2e


async def _until(predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_gap_record_policy_publishes_a_gap_record_and_goes_on(
    kafka_bootstrap: str, dev_keys: DevKeys
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        entries = [
            {"feed": f, "tpnr": "3011", "page_size": 8} for f in ("samordning.ytelser", "samordning.vedtak")
        ]
        bridge = bridge_settings(sandbox, entries, continuity_policy="gap-record")
        feeds = bridge.configured_feeds()
        async with bridge_in_process(sandbox, bridge):
            for feed in feeds:
                await wait_for_records(kafka_bootstrap, feed.topic, 20)
                await sandbox.command(feed.feed.name, "gap", skip=5, tpnr="3011")
                await sandbox.command(feed.feed.name, "events", count=5, tpnr="3011")
            for feed in feeds:
                records = await wait_for_records(kafka_bootstrap, feed.topic, 26)
                events = sorted(r.sequence for r in records if r.kind == "event")
                assert events == [*range(1, 21), *range(26, 31)], feed.id
                (gap,) = [r for r in records if r.kind == "gap"]
                assert GapRecord.model_validate_json(gap.value) == GapRecord(
                    feed=feed.id, sequence=25, first_missing=21, last_missing=25, tpnr="3011"
                )
                assert gap.key == b"25"
                # The bridge's own /metrics, as Prometheus scrapes it: a fresh process, so exactly one.
                gaps = await bridge_metric(
                    bridge, "nav_bridge_discontinuities_total", feed=feed.id, kind="gap"
                )
                assert gaps == 1


async def test_halt_policy_stops_at_the_gap_until_the_checkpoint_is_reset(
    kafka_bootstrap: str, dev_keys: DevKeys
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(
            sandbox, [{"feed": "trygdehendelser", "page_size": 8}], continuity_policy="halt"
        )
        (feed,) = bridge.configured_feeds()
        async with bridge_in_process(sandbox, bridge):
            await wait_for_records(kafka_bootstrap, feed.topic, 20)
            await sandbox.command(feed.feed.name, "gap", skip=3)
            await sandbox.command(feed.feed.name, "events", count=4)  # 24..27

            async def halted() -> bool:
                return await bridge_metric(bridge, "nav_bridge_halted", feed=feed.id) == 1

            async def going() -> bool:
                return await bridge_metric(bridge, "nav_bridge_halted", feed=feed.id) == 0

            await _until(halted)
            assert len(await read_topic(kafka_bootstrap, feed.topic)) == 20

            # The operator decides the missing numbers will not come, and lets the feed go on.
            await reset_checkpoint(sandbox.kafka, bridge.checkpoint_topic, feed.id, 23)
            records = await wait_for_records(kafka_bootstrap, feed.topic, 24)
            assert sorted(r.sequence for r in records) == [*range(1, 21), *range(24, 28)]
            assert all(r.kind == "event" for r in records)
            await _until(going)
