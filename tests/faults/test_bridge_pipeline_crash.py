"""The pipelined bridge killed where its pipeline holds state: a page published and acknowledged,
its checkpoint due but not yet written (it goes with the next page's records), and the next page
being fetched from NAV. Every event must still land once, in order per key, and a clean stop
must write the checkpoint that was due."""

import re
from pathlib import Path

import orjson
import pytest

from devtools.devkeys import DevKeys
from tests.support.bridge import (
    BridgeProcess,
    FeedSandbox,
    bridge_settings,
    feed_sandbox,
    read_topic,
    tally,
    wait_for_records,
)

pytestmark = pytest.mark.e2e

RESUMED = re.compile(r"resuming at (\d+) \(checkpoint (\w+), (\d+) beyond")
EVENTS, PAGE = 35, 10
SLOW_NAV_MS = 6000
"""Each page takes this long from NAV: the window in which a kill finds the next page in flight."""


async def _checkpoints(sandbox: FeedSandbox, topic: str, feed_id: str) -> list[int]:
    records = await read_topic(sandbox.kafka, topic)
    return [orjson.loads(r.value)["sequence"] for r in records if r.key == feed_id.encode()]


async def test_a_kill_while_the_next_page_is_fetched_and_a_checkpoint_is_due_loses_and_repeats_nothing(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys, feed_events=EVENTS) as sandbox:
        bridge = bridge_settings(sandbox, [{"feed": "trygdehendelser", "page_size": PAGE}])
        (feed,) = bridge.configured_feeds()
        slow = {"api": "trygdehendelser", "latency_ms": SLOW_NAV_MS}
        (await sandbox.http.post("/_sandbox/faults", json=slow)).raise_for_status()
        # NAV's answer takes longer than the tests' usual timeout here, on purpose.
        process = BridgeProcess(
            sandbox, bridge, tmp_path / "bridge.log", extra_env={"ADAPTER_NAV_TIMEOUT_SECONDS": "60"}
        )
        try:
            # Page 1 published; its checkpoint due, waiting for page 2, which NAV is slow to give.
            process.start()
            await wait_for_records(kafka_bootstrap, feed.topic, PAGE, kind="event", timeout=90)
            process.kill()
            assert await _checkpoints(sandbox, bridge.checkpoint_topic, feed.id) == []

            # Page 1 found on the topic, not published again; page 2 published together with
            # page 1's checkpoint; page 2's checkpoint due while page 3 is fetched: killed.
            process.start()
            await wait_for_records(kafka_bootstrap, feed.topic, 2 * PAGE, kind="event", timeout=90)
            process.kill()
            assert await _checkpoints(sandbox, bridge.checkpoint_topic, feed.id) == [PAGE]

            (await sandbox.http.delete("/_sandbox/faults")).raise_for_status()
            process.start()
            records = await wait_for_records(kafka_bootstrap, feed.topic, EVENTS, kind="event", timeout=90)
            counts = tally(records, await sandbox.numbers(feed.feed.name))
            assert (counts.missing, counts.duplicated, counts.out_of_order) == (0, 0, 0), counts.line(feed.id)
            assert counts.published == EVENTS
            await process.wait_for_log("resuming at", 3)
            assert process.terminate() == 0
        finally:
            process.kill()
        # The clean stop handed over the checkpoint that was due, and the lease's release flushed it.
        assert (await _checkpoints(sandbox, bridge.checkpoint_topic, feed.id))[-1] == EVENTS
        resumes = RESUMED.findall(process.log_path.read_text())
        assert resumes == [
            ("1", "none", "0"),
            ("1", "none", str(PAGE)),
            (str(PAGE + 1), str(PAGE), str(PAGE)),
        ]
