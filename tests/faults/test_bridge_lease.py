"""Two bridge processes for one feed: each event is published once, and when the active one dies
the standby takes over within a bounded time."""

import asyncio
from pathlib import Path

import pytest

from devtools.devkeys import DevKeys
from tests.support.bridge import (
    LEASE_SESSION_MS,
    BridgeProcess,
    bridge_settings,
    feed_sandbox,
    tally,
    wait_for_records,
)

pytestmark = pytest.mark.e2e

TAKEOVER_BOUND_SECONDS = 5 + 4 * LEASE_SESSION_MS / 1000


async def test_one_active_bridge_and_a_standby_that_takes_over(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys, feed_events=0) as sandbox:
        bridge = bridge_settings(sandbox, [{"feed": "trygdehendelser", "page_size": 10}])
        (feed,) = bridge.configured_feeds()
        await sandbox.command(feed.feed.name, "rate", per_second=30)
        first = BridgeProcess(sandbox, bridge, tmp_path / "first.log")
        second = BridgeProcess(sandbox, bridge, tmp_path / "second.log")
        try:
            first.start()
            await first.wait_for_log("lease acquired", 1)
            second.start()
            # The second joining makes the group rebalance; the lease stays with the first.
            await first.wait_for_log("lease acquired", 2, timeout=30)
            await asyncio.sleep(1.0)
            assert second.log_count("lease acquired") == 0

            first.kill()
            takeover = await second.wait_for_log("lease acquired", 1, timeout=60)
            await asyncio.sleep(1.0)
            await sandbox.command(feed.feed.name, "rate", per_second=0)
            produced = await sandbox.numbers(feed.feed.name)
            records = await wait_for_records(kafka_bootstrap, feed.topic, len(produced), kind="event")
            counts = tally(records, produced)
            assert second.terminate() == 0
        finally:
            first.kill()
            second.kill()
        print(f"\ntwo bridges: standby took over {takeover:.1f}s after the active one was killed")
        print(f"  {counts.line(feed.id)}")
        assert (counts.missing, counts.duplicated, counts.out_of_order) == (0, 0, 0)
        assert takeover < TAKEOVER_BOUND_SECONDS
