"""SIGKILL the bridge process at random points while NAV's feeds grow: every event must land on its
topic exactly once, and in order per key."""

import asyncio
import random
import re
import time
from pathlib import Path

import pytest

from devtools.devkeys import DevKeys
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, tally, wait_for_records

pytestmark = pytest.mark.e2e

KILLS = 20
PER_SECOND = 20.0
RESUMED = re.compile(r"resuming at (\d+) \(checkpoint (\w+), (\d+) beyond")
FEEDS = [
    {"feed": "trygdehendelser", "page_size": 10},
    {"feed": "samordning.vedtak", "tpnr": "3012", "page_size": 10},
    # NAV answers up to antall + 1 items in no order here (the sandbox does the same).
    {"feed": "samordning.ytelser", "tpnr": "3012", "page_size": 10},
]


async def test_sigkill_at_random_points_loses_and_repeats_nothing(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys, feed_events=0) as sandbox:
        bridge = bridge_settings(sandbox, FEEDS)
        feeds = bridge.configured_feeds()
        for feed in feeds:
            await sandbox.command(feed.feed.name, "rate", per_second=PER_SECOND, tpnr=feed.tpnr)
        process = BridgeProcess(sandbox, bridge, tmp_path / "bridge.log")
        rng = random.Random(20261124)
        started = time.monotonic()
        acquired = 0
        process.start()
        try:
            for _ in range(KILLS):
                if rng.random() < 0.25:
                    await asyncio.sleep(rng.uniform(0.0, 1.5))  # while starting, joining or resuming
                else:
                    await process.wait_for_log("lease acquired", process.log_count("lease acquired") + 1)
                    await asyncio.sleep(rng.uniform(0.0, 1.0))  # while publishing
                process.kill()
                acquired = process.log_count("lease acquired")
                process.start()
            for feed in feeds:
                await sandbox.command(feed.feed.name, "rate", per_second=0, tpnr=feed.tpnr)
            lines = []
            for feed in feeds:
                produced = await sandbox.numbers(feed.feed.name, feed.tpnr)
                records = await wait_for_records(
                    kafka_bootstrap, feed.topic, len(produced), kind="event", timeout=60
                )
                counts = tally(records, produced)
                lines.append(counts.line(feed.id))
                assert (counts.missing, counts.duplicated, counts.out_of_order) == (0, 0, 0), lines[-1]
                assert counts.published == counts.produced
            # Every record may be on the topic before the last start is through its imports, when a
            # SIGTERM still ends Python unhandled: stop it once it holds a lease, as a deployment would.
            await process.wait_for_log("lease acquired", acquired + 1)
            assert process.terminate() == 0
        finally:
            process.kill()
        resumes = RESUMED.findall(process.log_path.read_text())
        mid_page = sum(1 for _, _, beyond in resumes if int(beyond))
        print(f"\ncrash test: {KILLS} SIGKILLs in {time.monotonic() - started:.0f}s")
        for line in lines:
            print(f"  {line}")
        print(f"  resumes {len(resumes)}, {mid_page} of them with records beyond the checkpoint on the topic")
        # The kills must have hit the bridge at work, not only while it started.
        assert sum(1 for _, checkpoint, _ in resumes if checkpoint != "none") >= KILLS // 2
